-- The in-house text classifier's versions: what each was trained on, how it scored on held-out posts, and its ONNX
-- model itself (small), so every node serves the same bytes. A new version runs in shadow until staff promote it.
create table moderation.text_models (
    id                  bigint           generated always as identity primary key,
    status              text             not null default 'shadow' check (status in ('shadow', 'active', 'retired')),
    created_at          timestamptz      not null default now(),
    trained_by          text             not null,
    pipeline            text             not null,
    training_ms         integer          not null check (training_ms >= 0),
    -- The training snapshot: one row per post with a human label (the latest wins), label 1 = taken down.
    row_count           integer          not null check (row_count > 0),
    positives           integer          not null check (positives between 0 and row_count),
    training_rows       integer          not null check (training_rows > 0),
    held_out_rows       integer          not null check (held_out_rows > 0 and training_rows + held_out_rows = row_count),
    held_out_positives  integer          not null check (held_out_positives between 0 and held_out_rows),
    max_label_id        bigint           not null,
    max_label_at        timestamptz      not null,
    labels_sha256       text             not null check (labels_sha256 ~ '^[0-9a-f]{64}$'),
    -- Held-out metrics at a 0.5 threshold; precision is null when nothing held out was predicted unsafe.
    held_out_precision  double precision check (held_out_precision between 0 and 1),
    held_out_recall     double precision not null check (held_out_recall between 0 and 1),
    held_out_auc        double precision not null check (held_out_auc between 0 and 1),
    -- The largest gap between ONNX Runtime's probability and ML.NET's on the held-out posts (the export check).
    onnx_max_difference double precision not null check (onnx_max_difference >= 0),
    onnx                bytea            not null,
    onnx_sha256         text             not null check (onnx_sha256 ~ '^[0-9a-f]{64}$'),
    promoted_at         timestamptz,
    promoted_by         text,
    retired_at          timestamptz,
    retired_by          text,
    check ((promoted_at is null) = (promoted_by is null)),
    check ((retired_at is null) = (retired_by is null)),
    check (status <> 'active' or promoted_at is not null),
    check ((status = 'retired') = (retired_at is not null))
);

create unique index text_models_one_active on moderation.text_models (status) where status = 'active';
create unique index text_models_one_shadow on moderation.text_models (status) where status = 'shadow';
