-- Staging: themes and each record's theme, renamed for the marts.
with themes as (
    select theme_id, label as theme_label, category, keywords from themes
),

assignments as (
    select source, record_id, theme_id, score as theme_score from assignments
),

final as (
    select a.source, a.record_id, a.theme_id, a.theme_score, t.theme_label, t.category, t.keywords
    from assignments as a
    left join themes as t on a.theme_id = t.theme_id
)

select * from final
