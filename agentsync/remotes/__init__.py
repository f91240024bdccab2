"""The shared remote: PostgreSQL (directly, embedded, or behind Supabase) and its migrations."""
