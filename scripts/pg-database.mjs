#!/usr/bin/env node
// Creates or drops a Postgres database: `node scripts/pg-database.mjs create|drop NAME`,
// connecting with ADMIN_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
import pg from 'pg';

const [action, name] = process.argv.slice(2);
if (!['create', 'drop'].includes(action) || !/^[a-z_][a-z0-9_]{0,62}$/.test(name ?? '')) {
  console.error('usage: pg-database.mjs create|drop <name>');
  process.exit(2);
}
const client = new pg.Client({ connectionString: process.env.ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
await client.connect();
await client.query(action === 'create' ? `CREATE DATABASE ${name}` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
await client.end();
