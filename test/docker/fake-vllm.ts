/**
 * Stands in for the `vllm` executable in entrypoint tests (vLLM needs a GPU): `fake-vllm serve MODEL --port N …`
 * serves vLLM's /health and an olmOCR-style /v1/chat/completions on 127.0.0.1:N. Its pid and arguments go to
 * $FAKE_VLLM_LOG so a test can check what it was started with and that it was stopped.
 */
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => args[args.indexOf(name) + 1];
if (process.env.FAKE_VLLM_LOG) appendFileSync(process.env.FAKE_VLLM_LOG, `${JSON.stringify({ pid: process.pid, args })}\n`);
const readyAt = Date.now() + Number(process.env.FAKE_VLLM_READY_AFTER_MS ?? 0);

const answer = [
  '---',
  'primary_language: en',
  'is_rotation_valid: true',
  'rotation_correction: 0',
  'is_table: false',
  'is_diagram: false',
  '---',
  'Read by the fake vLLM.',
].join('\n');

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(Date.now() >= readyAt ? 200 : 503).end();
    return;
  }
  if (req.method === 'POST' && req.url === '/v1/chat/completions') {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }] });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    return;
  }
  res.writeHead(404).end();
});
server.listen(Number(option('--port')), option('--host') ?? '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
