/**
 * `/docs`: a self-contained page (no CDN: the service may run offline) that fetches `/openapi.json` and renders
 * every endpoint, its parameters, body and responses. When the API needs a token, the page asks for it and keeps
 * it for the browser tab only. A strict content security policy allows exactly this page's script and style.
 */
import { createHash } from 'node:crypto';

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1c2430;background:#f6f7f9}
header{background:#1c2430;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;opacity:.8}main{max-width:1000px;margin:0 auto;padding:16px 24px}
.op{background:#fff;border:1px solid #d8dde4;border-radius:6px;margin:10px 0}
.op>summary{cursor:pointer;padding:10px 12px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:44px;text-align:center}
.m.get{background:#2f6fb1}.m.post{background:#2e8b57}.p{font-family:monospace;font-weight:600}
.s{color:#55606e}.body{padding:0 14px 12px}h3{font-size:14px;margin:12px 0 4px}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-top:1px solid #e4e7eb;padding:4px 6px;text-align:left;vertical-align:top}
code,.t{font-family:monospace;font-size:12.5px}.req{color:#b03030}ul.tree{margin:2px 0;padding-left:18px;font-size:13px}
pre{background:#1c2430;color:#e8ecf1;padding:8px;border-radius:4px;overflow:auto;font-size:12px}
h2{margin-top:26px;border-bottom:1px solid #d8dde4}#auth{background:#fff3cd;padding:10px;border-radius:6px}
`;

const SCRIPT = `
(function(){
'use strict';
var main=document.getElementById('main');
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=String(text);return e;}
function add(parent){for(var i=1;i<arguments.length;i++)if(arguments[i])parent.appendChild(arguments[i]);return parent;}
function refName(r){return r.split('/').pop();}
function typeOf(s){
  if(!s)return 'any';
  if(s.$ref)return refName(s.$ref);
  if(s.enum)return s.enum.map(function(v){return JSON.stringify(v);}).join(' | ');
  if(s.const!==undefined)return JSON.stringify(s.const);
  if(s.anyOf||s.oneOf)return (s.anyOf||s.oneOf).map(typeOf).join(' | ');
  var t=Array.isArray(s.type)?s.type.join(' | '):(s.type||'any');
  if(s.type==='array')return 'array of '+typeOf(s.items);
  return t;
}
function tree(s,doc,depth,seen){
  var ul=el('ul','tree');
  if(s&&s.$ref){var name=refName(s.$ref);if(seen.indexOf(name)>=0||depth>6)return ul;s=doc.components.schemas[name];seen=seen.concat([name]);}
  if(!s)return ul;
  if(s.anyOf||s.oneOf){(s.anyOf||s.oneOf).forEach(function(x){var li=add(el('li'),el('span','t','one of: '+typeOf(x)));li.appendChild(tree(x,doc,depth+1,seen));ul.appendChild(li);});return ul;}
  if(s.type==='array'&&s.items)return tree(s.items,doc,depth+1,seen);
  var props=s.properties||{};var req=s.required||[];
  Object.keys(props).forEach(function(k){
    var p=props[k];var li=el('li');
    add(li,el('code',null,k),el('span','t',': '+typeOf(p)),req.indexOf(k)>=0?el('span','req',' *'):null,p.description?el('span','s',' — '+p.description):null);
    var inner=p.$ref?p:(p.type==='array'?p.items:((p.anyOf||[]).filter(function(x){return x.$ref||x.properties;})[0]||p));
    if(inner&&(inner.$ref||inner.properties||(inner.items&&inner.items.$ref)))li.appendChild(tree(inner,doc,depth+1,seen));
    ul.appendChild(li);
  });
  return ul;
}
function params(op){
  if(!op.parameters||!op.parameters.length)return null;
  var t=el('table');add(t,add(el('tr'),el('th',null,'name'),el('th',null,'in'),el('th',null,'type'),el('th',null,'description')));
  op.parameters.forEach(function(p){var d=p.schema&&p.schema.default!==undefined?' (default '+JSON.stringify(p.schema.default)+')':'';
    add(t,add(el('tr'),add(el('td'),el('code',null,p.name),p.required?el('span','req',' *'):null),el('td',null,p.in),el('td','t',typeOf(p.schema)),el('td',null,(p.description||'')+d)));});
  return add(el('div'),el('h3',null,'Parameters'),t);
}
function content(c,doc){var media=Object.keys(c||{})[0];if(!media)return null;var box=el('div');
  add(box,el('div','t',media+' — '+typeOf(c[media].schema)),tree(c[media].schema,doc,0,[]));return box;}
function curl(path,method,op){
  var auth=op.security&&op.security.length===0?'':' -H "Authorization: Bearer $API_TOKEN"';
  var body=op.requestBody?' -H "Content-Type: application/json" -d \\'{}\\'':'';
  return 'curl'+(method==='get'?'':' -X '+method.toUpperCase())+auth+body+' "'+location.origin+path+'"';
}
function operation(path,method,op,doc){
  var d=el('details','op');
  add(d,add(el('summary'),el('span','m '+method,method.toUpperCase()),el('span','p',path),el('span','s',op.summary||'')));
  var b=el('div','body');
  if(op.description)b.appendChild(el('p',null,op.description));
  if(op.security&&op.security.length===0)b.appendChild(el('p','s','No token needed.'));
  add(b,params(op));
  if(op.requestBody)add(b,el('h3',null,'Request body'),content(op.requestBody.content,doc));
  b.appendChild(el('h3',null,'Responses'));
  Object.keys(op.responses).forEach(function(code){var r=op.responses[code];
    add(b,add(el('div'),el('strong',null,code+' '),el('span','s',r.description)),content(r.content,doc));});
  add(b,el('h3',null,'Example'),el('pre',null,curl(path,method,op)));
  d.appendChild(b);return d;
}
function render(doc){
  main.textContent='';
  document.getElementById('title').textContent=doc.info.title+' '+doc.info.version;
  document.getElementById('desc').textContent=doc.info.description;
  (doc.tags||[]).forEach(function(tag){
    var section=add(el('section'),el('h2',null,tag.name),el('p','s',tag.description));
    Object.keys(doc.paths).forEach(function(path){var item=doc.paths[path];Object.keys(item).forEach(function(method){
      var op=item[method];if((op.tags||[])[0]===tag.name)section.appendChild(operation(path,method,op,doc));});});
    main.appendChild(section);
  });
}
function askToken(message){
  main.textContent='';var box=el('form');box.id='auth';
  var input=el('input');input.type='password';input.placeholder='API_TOKEN';input.autocomplete='off';
  add(box,el('p',null,message),input,el('button',null,'Show the API'));
  box.addEventListener('submit',function(e){e.preventDefault();sessionStorage.setItem('aseagi-api-token',input.value);load();});
  main.appendChild(box);input.focus();
}
function load(){
  var token=sessionStorage.getItem('aseagi-api-token');
  fetch('openapi.json',{headers:token?{Authorization:'Bearer '+token}:{}}).then(function(res){
    if(res.status===401){askToken(token?'That token was not accepted. API_TOKEN:':'This API needs its token (API_TOKEN) to show its documentation:');return null;}
    if(!res.ok)throw new Error('openapi.json answered '+res.status);
    return res.json();
  }).then(function(doc){if(doc)render(doc);}).catch(function(err){main.textContent='Could not load the API description: '+err.message;});
}
load();
})();
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Allows this page's own inline script and style, and requests to this origin; nothing else. */
export const DOCS_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ASEAGI Batch API</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1 id="title">ASEAGI Batch API</h1><p id="desc">Loading the API description…</p></header>
<main id="main"><noscript>This page needs JavaScript; the raw description is at /openapi.json.</noscript></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
