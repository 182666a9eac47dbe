-- ASEAGI Batch: the document journal (one row per source document) and its extracted text.
--
-- Run once per Supabase project: `supabase db push`, or paste this file into the SQL editor. It is idempotent
-- (safe to run twice). The orchestrator writes with the service-role (secret) key; nobody else can read or write:
-- row-level security is on and no policy grants anything to `anon` or `authenticated`.
--
-- Keys. Every row has a unique, non-null `google_drive_id`, the upsert key:
--   * Google Drive documents: the Drive file id (Drive ids are global), e.g. '1AbCdEf…'.
--   * Any other source (a local folder): '<source_key>:<source_id>', e.g. 'local:/srv/cases:2024/order.pdf'.
-- `source` is the source kind ('gdrive', 'local'), `source_key` the collection and `source_id` the id within it,
-- so local runs fit the same table without pretending to be Drive files.

create table if not exists public.document_journal (
  id                           bigint generated always as identity primary key,
  google_drive_id              text not null unique,
  source                       text not null,
  source_key                   text not null,
  source_id                    text not null,
  original_filename            text not null,
  mime_type                    text,
  file_size_bytes              bigint,
  checksum                     text,
  processing_status            text not null default 'pending'
                                 check (processing_status in ('pending', 'processing', 'completed', 'failed', 'skipped')),
  error_code                   text,
  error_message                text,
  page_count                   integer,
  ocr_page_count               integer,
  word_count                   integer,
  ocr_engine                   text,
  ocr_confidence               real,
  processed_date               timestamptz,
  processing_duration_seconds  real,
  session_id                   text,
  batch_number                 integer,
  processor_name               text,
  -- Claude analysis (ASEAGI scoring scheme); the whole structured output is also kept in `analysis`.
  analysis_status              text check (analysis_status in ('pending', 'completed', 'failed')),
  analysis_error               text,
  document_type                text check (document_type in
                                 ('TEXT', 'TRNS', 'CPSR', 'MEDR', 'FORN', 'PLCR', 'ORDR', 'DECL', 'EXPA', 'MOTN', 'RESP', 'EVID', 'OTHER')),
  document_date                date,
  document_title               text,
  executive_summary            text,
  micro_number                 smallint check (micro_number between 0 and 999),
  macro_number                 smallint check (macro_number between 0 and 999),
  legal_number                 smallint check (legal_number between 0 and 999),
  category_number              smallint check (category_number between 0 and 999),
  relevancy_number             smallint check (relevancy_number between 0 and 999),
  importance                   text check (importance in ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'REFERENCE')),
  key_quotes                   jsonb,
  smoking_guns                 jsonb,
  parties                      jsonb,
  keywords                     jsonb,
  fraud_indicators             jsonb,
  perjury_indicators           jsonb,
  w388_relevance               smallint check (w388_relevance between 0 and 100),
  ccp473_relevance             smallint check (ccp473_relevance between 0 and 100),
  criminal_relevance           smallint check (criminal_relevance between 0 and 100),
  analysis                     jsonb,
  analysis_model               text,
  tokens_used                  integer,
  cost_usd                     numeric(12, 6),
  created_at                   timestamptz not null default now(),
  updated_at                   timestamptz not null default now(),
  search_vector                tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, coalesce(original_filename, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(document_title, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(executive_summary, '')), 'B') ||
    setweight(to_tsvector('english'::regconfig, coalesce(keywords::text, '')), 'B')
  ) stored
);

create index if not exists document_journal_search_idx on public.document_journal using gin (search_vector);
create index if not exists document_journal_session_idx on public.document_journal (session_id, processing_status);
create index if not exists document_journal_source_idx on public.document_journal (source_key, source_id);
create index if not exists document_journal_relevancy_idx on public.document_journal (relevancy_number desc nulls last);

-- The extracted text lives apart, so listing and filtering the journal never drags megabytes of text along.
-- Only the first 200,000 characters are indexed: a tsvector is capped at 1 MB.
create table if not exists public.document_text (
  google_drive_id  text primary key references public.document_journal (google_drive_id) on delete cascade,
  content          text not null,
  char_count       integer not null,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  search_vector    tsvector generated always as (to_tsvector('english'::regconfig, left(content, 200000))) stored
);

create index if not exists document_text_search_idx on public.document_text using gin (search_vector);

create or replace function public.aseagi_touch_updated_at() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end;
$$;

drop trigger if exists document_journal_touch on public.document_journal;
create trigger document_journal_touch before update on public.document_journal
  for each row execute function public.aseagi_touch_updated_at();

drop trigger if exists document_text_touch on public.document_text;
create trigger document_text_touch before update on public.document_text
  for each row execute function public.aseagi_touch_updated_at();

-- No anonymous access. With RLS on and no policy, only roles that bypass RLS (Supabase's service role) see rows;
-- the grants are revoked as well so the tables do not even appear in the public API for anon/authenticated keys.
alter table public.document_journal enable row level security;
alter table public.document_text enable row level security;

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    revoke all on table public.document_journal, public.document_text from anon;
  end if;
  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke all on table public.document_journal, public.document_text from authenticated;
  end if;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant select, insert, update, delete on table public.document_journal, public.document_text to service_role;
  end if;
end;
$$;
