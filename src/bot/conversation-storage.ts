/**
 * Where `@grammyjs/conversations` keeps a chat's conversation: the `bot_conversations` table, so a question
 * waiting for an answer (a cost confirmation above all) survives a restart of the service.
 */
import type { ConversationData, VersionedState, VersionedStateStorage } from '@grammyjs/conversations';
import type { Database } from 'better-sqlite3';
import { deleteConversation, readConversation, writeConversation } from './store.js';

export function sqliteConversationStorage(db: Database, now: () => number): VersionedStateStorage<string, ConversationData> {
  return {
    read(key) {
      const json = readConversation(db, key);
      return json === undefined ? undefined : (JSON.parse(json) as VersionedState<ConversationData>);
    },
    write(key, state) {
      writeConversation(db, key, JSON.stringify(state), now());
    },
    delete(key) {
      deleteConversation(db, key);
    },
  };
}
