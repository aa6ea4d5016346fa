"""The database: ORM tables mirroring ``schema.sql``, engines, sessions and migrations."""
