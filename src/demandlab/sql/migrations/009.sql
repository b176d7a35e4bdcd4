-- Schema version 9: 资源清单 (双报到). One row per resource a reporting unit or party member offers a community;
-- loaded from a sheet like an export (a batch, rejects), a member's name as a pseudonym, contacts as a key only.
create table if not exists resources (
    resource_id varchar primary key,
    provider varchar,
    provider_kind varchar,
    street varchar,
    community varchar,
    resource_type varchar,
    description varchar,
    target varchar,
    available varchar,
    capacity bigint,
    contact_key varchar,
    batch_id varchar,
    loaded_at timestamp
);
