-- Touchline's PostgreSQL schema: the source of truth.
--
-- The ORM models (backend/db/models.py) and the Alembic migrations
-- (backend/db/migrations/) must build exactly this; tests/db/test_schema.py applies this
-- file and the migrations to two empty databases and compares tables, columns, types,
-- constraints and indexes.
--
-- Sync spaces: a team's roster (teams.head_seq) and each match (matches.head_seq). Every
-- row in a space carries the seq of its latest change; a writer increments the space's
-- head_seq in its own transaction (locking the space row until commit), so a reader that
-- has seen seq <= n never later finds a committed change numbered <= n that it missed.
-- Deletions are tombstones (deleted_at set, row kept) so readers behind the head learn
-- of them.

CREATE SCHEMA IF NOT EXISTS grassroots;

CREATE TYPE grassroots.event_kind AS ENUM (
    -- the app's original kinds
    'goal', 'assist', 'key_pass', 'save', 'interception', 'tackle', 'foul', 'penalty',
    'free_kick', 'ball_out', 'own_goal',
    -- shots and corners (0007)
    'shot_on_target', 'shot_off_target', 'corner',
    -- discipline and changes
    'yellow_card', 'red_card', 'substitution',
    -- period markers: they drive the match state machine
    'kick_off', 'half_time', 'full_time'
);
CREATE TYPE grassroots.event_side AS ENUM ('team', 'opposition');
CREATE TYPE grassroots.match_status AS ENUM ('scheduled', 'live', 'interval', 'finished');
-- owner and coach write; a member (0009) reads everything a coach reads and writes nothing.
CREATE TYPE grassroots.member_role AS ENUM ('owner', 'coach', 'member');
CREATE TYPE grassroots.lineup_role AS ENUM ('starting', 'bench');

-- One row naming this database's generation; sync cursors from another one are reset.
-- signing_key signs tokens when TOUCHLINE_SECRET_KEYS is not set: made at random by the
-- first server to start, then shared by every instance on this database.
CREATE TABLE grassroots.server_meta (
    id smallint NOT NULL,
    generation uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    signing_key text,
    CONSTRAINT pk_server_meta PRIMARY KEY (id),
    CONSTRAINT ck_server_meta_single_row CHECK (id = 1)
);

-- Coaches. email is stored lower-cased; password_hash is Argon2id. Login tokens carry the
-- token_generation they were issued in; "sign out everywhere" raises it, refusing them all.
CREATE TABLE grassroots.accounts (
    id uuid NOT NULL,
    email text NOT NULL,
    password_hash text NOT NULL,
    display_name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    token_generation integer DEFAULT 0 NOT NULL,
    CONSTRAINT pk_accounts PRIMARY KEY (id),
    CONSTRAINT uq_accounts_email UNIQUE (email)
);

-- Login tokens their coach signed out with (by the token's id); refused from then on.
-- "Sign out everywhere" deletes the account's rows: the raised generation refuses them.
CREATE TABLE grassroots.revoked_login_tokens (
    token_id uuid NOT NULL,
    account_id uuid NOT NULL,
    revoked_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_revoked_login_tokens PRIMARY KEY (token_id),
    CONSTRAINT fk_revoked_login_tokens_account_id FOREIGN KEY (account_id)
        REFERENCES grassroots.accounts (id) ON DELETE CASCADE
);
CREATE INDEX ix_revoked_login_tokens_account_id ON grassroots.revoked_login_tokens (account_id);

-- A coach's phone. token_hash is the SHA-256 of the bearer token, which is never stored.
-- last_mutation_id is the device's idempotency counter for /sync, updated in the same
-- transaction as the mutations' effects. sync_position is the device's last pulled
-- position per sync space (JSON), kept to report how far behind a device is.
CREATE TABLE grassroots.devices (
    id uuid NOT NULL,
    account_id uuid NOT NULL,
    name text NOT NULL,
    token_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone,
    revoked_at timestamp with time zone,
    last_mutation_id bigint DEFAULT 0 NOT NULL,
    sync_position text,
    synced_at timestamp with time zone,
    CONSTRAINT pk_devices PRIMARY KEY (id),
    CONSTRAINT uq_devices_token_hash UNIQUE (token_hash),
    CONSTRAINT fk_devices_account_id FOREIGN KEY (account_id)
        REFERENCES grassroots.accounts (id) ON DELETE CASCADE
);
CREATE INDEX ix_devices_account_id ON grassroots.devices (account_id);

-- A team is the roster's sync space. seq is the number, in that space, of the team
-- record's latest change (a rename, a member's role changed): devices holding the team pull
-- it again. A deleted team (deleted_at set) has no members left and is reachable by no one.
CREATE TABLE grassroots.teams (
    id uuid NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    head_seq bigint DEFAULT 0 NOT NULL,
    seq bigint DEFAULT 0 NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT pk_teams PRIMARY KEY (id)
);

CREATE TABLE grassroots.memberships (
    team_id uuid NOT NULL,
    account_id uuid NOT NULL,
    role grassroots.member_role NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_memberships PRIMARY KEY (team_id, account_id),
    CONSTRAINT fk_memberships_team_id FOREIGN KEY (team_id)
        REFERENCES grassroots.teams (id) ON DELETE CASCADE,
    CONSTRAINT fk_memberships_account_id FOREIGN KEY (account_id)
        REFERENCES grassroots.accounts (id) ON DELETE CASCADE
);
CREATE INDEX ix_memberships_account_id ON grassroots.memberships (account_id);

-- Who left a team, was removed from it, or lost it when it was deleted: their phones'
-- queued changes for the team are answered "no_access" with the reason, not "not_found".
-- Joining the team again removes the row.
CREATE TABLE grassroots.team_departures (
    account_id uuid NOT NULL,
    team_id uuid NOT NULL,
    reason text NOT NULL,
    departed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_team_departures PRIMARY KEY (account_id, team_id),
    CONSTRAINT ck_team_departures_reason CHECK (reason IN ('left', 'removed', 'deleted')),
    CONSTRAINT fk_team_departures_account_id FOREIGN KEY (account_id)
        REFERENCES grassroots.accounts (id) ON DELETE CASCADE,
    CONSTRAINT fk_team_departures_team_id FOREIGN KEY (team_id)
        REFERENCES grassroots.teams (id) ON DELETE CASCADE
);
CREATE INDEX ix_team_departures_team_id ON grassroots.team_departures (team_id);

-- An owner's invitation to join a team: a coach joins only by accepting one. The invite
-- token (signed, carrying only this row's id) names the row; the row decides: expiry,
-- revocation, uses left (uses of max_uses), and the role a coach who accepts it gets.
CREATE TABLE grassroots.team_invites (
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    created_by uuid,
    role grassroots.member_role DEFAULT 'coach' NOT NULL,
    max_uses smallint DEFAULT 1 NOT NULL,
    uses smallint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT pk_team_invites PRIMARY KEY (id),
    CONSTRAINT ck_team_invites_max_uses_range CHECK (max_uses >= 1 AND max_uses <= 100),
    CONSTRAINT ck_team_invites_uses_range CHECK (uses >= 0 AND uses <= max_uses),
    CONSTRAINT fk_team_invites_team_id FOREIGN KEY (team_id)
        REFERENCES grassroots.teams (id) ON DELETE CASCADE,
    CONSTRAINT fk_team_invites_created_by FOREIGN KEY (created_by)
        REFERENCES grassroots.accounts (id) ON DELETE SET NULL
);
CREATE INDEX ix_team_invites_team_id ON grassroots.team_invites (team_id);

-- A team's calendar feed. The signed token in the feed's URL names this row; rotating
-- revokes it and makes a new one, so the old URL stops working.
CREATE TABLE grassroots.team_calendars (
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT pk_team_calendars PRIMARY KEY (id),
    CONSTRAINT fk_team_calendars_team_id FOREIGN KEY (team_id)
        REFERENCES grassroots.teams (id) ON DELETE CASCADE,
    CONSTRAINT fk_team_calendars_created_by FOREIGN KEY (created_by)
        REFERENCES grassroots.accounts (id) ON DELETE SET NULL
);
CREATE INDEX ix_team_calendars_team_id ON grassroots.team_calendars (team_id);

-- full_name is private to the team's coaches; viewers see display_name and squad_number.
CREATE TABLE grassroots.players (
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    squad_number smallint,
    display_name text NOT NULL,
    full_name text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    seq bigint NOT NULL,
    erased_at timestamp with time zone,
    CONSTRAINT pk_players PRIMARY KEY (id),
    CONSTRAINT ck_players_squad_number_range CHECK (squad_number >= 0 AND squad_number <= 99),
    CONSTRAINT fk_players_team_id FOREIGN KEY (team_id)
        REFERENCES grassroots.teams (id) ON DELETE CASCADE
);
CREATE INDEX ix_players_team_id_seq ON grassroots.players (team_id, seq);

-- A match is its own sync space. status/current_period/period_started_at are a cache of
-- the fold over its period-marker events; the score is never stored.
CREATE TABLE grassroots.matches (
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    opponent text NOT NULL,
    is_home boolean DEFAULT true NOT NULL,
    kickoff_at timestamp with time zone NOT NULL,
    venue text,
    competition text,
    periods smallint DEFAULT 2 NOT NULL,
    period_minutes smallint DEFAULT 45 NOT NULL,
    status grassroots.match_status DEFAULT 'scheduled' NOT NULL,
    current_period smallint DEFAULT 0 NOT NULL,
    period_started_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    head_seq bigint DEFAULT 0 NOT NULL,
    seq bigint DEFAULT 0 NOT NULL,
    lineup_seq bigint DEFAULT 0 NOT NULL,
    CONSTRAINT pk_matches PRIMARY KEY (id),
    CONSTRAINT ck_matches_current_period_range CHECK (current_period >= 0 AND current_period <= 4),
    CONSTRAINT ck_matches_period_minutes_range CHECK (period_minutes >= 1 AND period_minutes <= 60),
    CONSTRAINT ck_matches_periods_range CHECK (periods >= 1 AND periods <= 4),
    CONSTRAINT fk_matches_team_id FOREIGN KEY (team_id)
        REFERENCES grassroots.teams (id) ON DELETE CASCADE
);
CREATE INDEX ix_matches_team_id_kickoff_at ON grassroots.matches (team_id, kickoff_at);

-- Events are facts with client-made ids (UUIDv7 recommended): the primary key makes a
-- retried insert a no-op. recorded_at is the phone's clock, kept but never used for order.
CREATE TABLE grassroots.events (
    id uuid NOT NULL,
    match_id uuid NOT NULL,
    kind grassroots.event_kind NOT NULL,
    side grassroots.event_side NOT NULL,
    period smallint NOT NULL,
    minute smallint NOT NULL,
    stoppage smallint DEFAULT 0 NOT NULL,
    player_id uuid,
    replaced_player_id uuid,
    note text,
    recorded_at timestamp with time zone,
    device_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    seq bigint NOT NULL,
    -- only on a goal of ours: the player who set it up (0007)
    assist_player_id uuid,
    CONSTRAINT pk_events PRIMARY KEY (id),
    CONSTRAINT ck_events_minute_range CHECK (minute >= 0 AND minute <= 150),
    CONSTRAINT ck_events_period_range CHECK (period >= 1 AND period <= 4),
    CONSTRAINT ck_events_stoppage_range CHECK (stoppage >= 0 AND stoppage <= 30),
    CONSTRAINT fk_events_match_id FOREIGN KEY (match_id)
        REFERENCES grassroots.matches (id) ON DELETE CASCADE,
    CONSTRAINT fk_events_player_id FOREIGN KEY (player_id) REFERENCES grassroots.players (id),
    CONSTRAINT fk_events_replaced_player_id FOREIGN KEY (replaced_player_id)
        REFERENCES grassroots.players (id),
    CONSTRAINT fk_events_assist_player_id FOREIGN KEY (assist_player_id)
        REFERENCES grassroots.players (id),
    CONSTRAINT fk_events_device_id FOREIGN KEY (device_id)
        REFERENCES grassroots.devices (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX ix_events_match_id_seq ON grassroots.events (match_id, seq);
CREATE INDEX ix_events_player_id ON grassroots.events (player_id);

-- The lineup of a match, replaced whole by set_lineup (matches.lineup_seq).
CREATE TABLE grassroots.lineup (
    match_id uuid NOT NULL,
    player_id uuid NOT NULL,
    role grassroots.lineup_role NOT NULL,
    "position" text,
    CONSTRAINT pk_lineup PRIMARY KEY (match_id, player_id),
    CONSTRAINT fk_lineup_match_id FOREIGN KEY (match_id)
        REFERENCES grassroots.matches (id) ON DELETE CASCADE,
    CONSTRAINT fk_lineup_player_id FOREIGN KEY (player_id) REFERENCES grassroots.players (id)
);

-- Mutations a device pushed that were processed but not applied. Their ids are covered by
-- devices.last_mutation_id; a resent mutation is answered with the verdict kept here.
CREATE TABLE grassroots.mutation_outcomes (
    device_id uuid NOT NULL,
    mutation_id bigint NOT NULL,
    name text NOT NULL,
    verdict text NOT NULL,
    code text NOT NULL,
    message text NOT NULL,
    field text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_mutation_outcomes PRIMARY KEY (device_id, mutation_id),
    CONSTRAINT ck_mutation_outcomes_verdict_kind CHECK (verdict IN ('rejected', 'conflict')),
    CONSTRAINT fk_mutation_outcomes_device_id FOREIGN KEY (device_id)
        REFERENCES grassroots.devices (id) ON DELETE CASCADE
);

-- A read-only view of one match for families. The share token (signed, carrying only this
-- row's id) names the row; the row decides: expiry (none: it works until revoked),
-- revocation, and how players' names are shown (initials, first names, or full names;
-- first names by default).
CREATE TABLE grassroots.share_links (
    id uuid NOT NULL,
    match_id uuid NOT NULL,
    created_by uuid,
    names text DEFAULT 'first_names' NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT pk_share_links PRIMARY KEY (id),
    CONSTRAINT ck_share_links_names_kind CHECK (names IN ('initials', 'first_names', 'full_names')),
    CONSTRAINT fk_share_links_match_id FOREIGN KEY (match_id)
        REFERENCES grassroots.matches (id) ON DELETE CASCADE,
    CONSTRAINT fk_share_links_created_by FOREIGN KEY (created_by)
        REFERENCES grassroots.accounts (id) ON DELETE SET NULL
);
CREATE INDEX ix_share_links_match_id ON grassroots.share_links (match_id);

-- A browser subscribed by Web Push to a share link's match (goals, the half- and full-time
-- score, cards, as it chose). It dies with its link; last_seq is how far through the
-- match's change log it has been told about, advanced by whichever instance claims the row.
CREATE TABLE grassroots.push_subscriptions (
    id uuid NOT NULL,
    link_id uuid NOT NULL,
    match_id uuid NOT NULL,
    endpoint text NOT NULL,
    p256dh text NOT NULL,
    auth text NOT NULL,
    goals boolean DEFAULT true NOT NULL,
    breaks boolean DEFAULT true NOT NULL,
    cards boolean DEFAULT false NOT NULL,
    last_seq bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_push_subscriptions PRIMARY KEY (id),
    CONSTRAINT fk_push_subscriptions_link_id FOREIGN KEY (link_id)
        REFERENCES grassroots.share_links (id) ON DELETE CASCADE,
    CONSTRAINT fk_push_subscriptions_match_id FOREIGN KEY (match_id)
        REFERENCES grassroots.matches (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_push_subscriptions_link_id_endpoint
    ON grassroots.push_subscriptions (link_id, endpoint);
CREATE INDEX ix_push_subscriptions_match_id ON grassroots.push_subscriptions (match_id);

-- What a subscription was told about an event, so an edit or delete of it is corrected.
CREATE TABLE grassroots.push_announcements (
    subscription_id uuid NOT NULL,
    event_id uuid NOT NULL,
    body text NOT NULL,
    CONSTRAINT pk_push_announcements PRIMARY KEY (subscription_id, event_id),
    CONSTRAINT fk_push_announcements_subscription_id FOREIGN KEY (subscription_id)
        REFERENCES grassroots.push_subscriptions (id) ON DELETE CASCADE
);

-- How many records each device gave back (the repair step) in each database generation:
-- after a restore, what the phones have restored so far.
CREATE TABLE grassroots.repairs (
    generation uuid NOT NULL,
    device_id uuid NOT NULL,
    records bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_repairs PRIMARY KEY (generation, device_id)
);
