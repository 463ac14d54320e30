using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Alerts.Alerting;
using Sluice.Alerts.Rules;
using static Sluice.Alerts.Storage.AlertsDatabase;

namespace Sluice.Alerts.Storage;

/// <summary>
/// Every read and write of the Alerts service's tables: rules, limits, running totals and window counts, alert state
/// and history, groups, silences, the notification outbox and the leader row. Storage never calls up into the service.
/// </summary>
public sealed class AlertsStore(AlertsDatabase db)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public AlertsDatabase Database => db;

    // ---- rules and limits ----
    public Task SaveRuleAsync(RuleDefinition rule, string source, long nowMs, CancellationToken ct) => db.WriteAsync((c, t) =>
        ExecuteAsync(c, t, "INSERT INTO rules (name, definition, source, updated_at) VALUES (@n, @d, @s, @u) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, source = excluded.source, updated_at = excluded.updated_at", ct,
            ("@n", rule.Name), ("@d", JsonSerializer.Serialize(rule, Json)), ("@s", source), ("@u", nowMs)), ct);

    public Task<bool> DeleteRuleAsync(string name, CancellationToken ct) => db.WriteAsync(async (c, t) =>
        await ExecuteAsync(c, t, "DELETE FROM rules WHERE name = @n", ct, ("@n", name)) > 0, ct);

    public async Task<List<RuleDefinition>> LoadRulesAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT definition FROM rules ORDER BY name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<RuleDefinition>();
        while (await r.ReadAsync(ct)) list.Add(JsonSerializer.Deserialize<RuleDefinition>(r.GetString(0), Json)!);
        return list;
    }

    public Task ReplaceLimitsAsync(string table, IReadOnlyDictionary<string, double> limits, CancellationToken ct) => db.WriteAsync(async (c, t) =>
    {
        await ExecuteAsync(c, t, "DELETE FROM limits WHERE table_name = @t", ct, ("@t", table));
        foreach (var (key, value) in limits)
        {
            await ExecuteAsync(c, t, "INSERT INTO limits (table_name, key, value) VALUES (@t, @k, @v)", ct, ("@t", table), ("@k", key), ("@v", value));
        }
    }, ct);

    public Task<bool> DeleteLimitsAsync(string table, CancellationToken ct) => db.WriteAsync(async (c, t) =>
        await ExecuteAsync(c, t, "DELETE FROM limits WHERE table_name = @t", ct, ("@t", table)) > 0, ct);

    public async Task<Dictionary<string, Dictionary<string, double>>> LoadLimitsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT table_name, key, value FROM limits");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var tables = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        while (await r.ReadAsync(ct))
        {
            if (!tables.TryGetValue(r.GetString(0), out var table)) tables[r.GetString(0)] = table = new(StringComparer.Ordinal);
            table[r.GetString(1)] = r.GetDouble(2);
        }

        return tables;
    }

    // ---- evaluation results ----
    public async Task<string?> GetAppliedAsync(string consumer, string shard, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT sequence FROM applied WHERE stream = @s AND shard = @h", ("@s", consumer), ("@h", shard));
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>
    /// Applies a batch's outcomes and records the shard's last applied sequence number in the same transaction, so a
    /// replay after a crash is recognised and skipped. The batch was evaluated after <paramref name="previousSequence"/>
    /// (null: nothing applied yet); when another worker has moved the shard on since (a lease handover), nothing is
    /// written and null is returned, so the caller re-reads the position and evaluates again — totals never double.
    /// Otherwise returns true when some alert changed state.
    /// </summary>
    public Task<bool?> ApplyBatchAsync(string consumer, string shard, string? previousSequence, string lastSequence, EvaluationBatch batch, ILimitLookup limits, long nowMs, CancellationToken ct) =>
        db.WriteAsync<bool?>(async (c, t) =>
        {
            // The guard comes first: on PostgreSQL the row lock makes a concurrent applier wait, then find it moved.
            var claimed = previousSequence is null
                ? await ExecuteAsync(c, t, "INSERT INTO applied (stream, shard, sequence) VALUES (@s, @h, @q) ON CONFLICT (stream, shard) DO NOTHING", ct,
                    ("@s", consumer), ("@h", shard), ("@q", lastSequence))
                : await ExecuteAsync(c, t, "UPDATE applied SET sequence = @q WHERE stream = @s AND shard = @h AND sequence = @p", ct,
                    ("@s", consumer), ("@h", shard), ("@q", lastSequence), ("@p", previousSequence));
            if (claimed == 0) return null;

            var changed = false;
            foreach (var ((rule, key), signal) in batch.Signals)
            {
                var annotations = new Dictionary<string, string> { ["summary"] = rule.Summary, ["value"] = Format(signal.Value) };
                changed |= await TransitionAsync(c, t, rule, AlertIdentity.For(rule, key, null), signal.Fire, signal.Value, annotations, null, nowMs, ct);
            }

            foreach (var ((rule, key, period), delta) in batch.Totals)
            {
                await using var cmd = Command(c, t, "INSERT INTO totals (rule, key, period, total) VALUES (@r, @k, @p, @v) ON CONFLICT (rule, key, period) DO UPDATE SET total = totals.total + excluded.total RETURNING total",
                    ("@r", rule.Name), ("@k", key), ("@p", period), ("@v", delta.Sum));
                var total = Convert.ToDouble(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
                var limit = StreamRules.Limit(rule, key, limits);
                if (total < limit) continue;
                var annotations = new Dictionary<string, string> { ["summary"] = rule.Summary, ["total"] = Format(total), ["limit"] = Format(limit), ["period"] = period };
                changed |= await TransitionAsync(c, t, rule, AlertIdentity.For(rule, key, period), true, total, annotations, delta.EndMs, nowMs, ct);
            }

            foreach (var ((rule, key, start), count) in batch.Windows)
            {
                await ExecuteAsync(c, t, "INSERT INTO window_counts (rule, key, window_start, total) VALUES (@r, @k, @w, @v) ON CONFLICT (rule, key, window_start) DO UPDATE SET total = window_counts.total + excluded.total", ct,
                    ("@r", rule.Name), ("@k", key), ("@w", start), ("@v", count));
            }

            return changed;
        }, ct);

    /// <summary>Evaluates an absence rule's windows that closed since the last evaluation. Returns true when an alert changed.</summary>
    public Task<bool> EvaluateWindowsAsync(CompiledRule rule, ILimitLookup limits, IReadOnlyCollection<string> expectedKeys, long nowMs, CancellationToken ct) =>
        db.WriteAsync(async (c, t) =>
        {
            var w = (long)rule.Window.TotalMilliseconds;
            var horizon = nowMs - (long)rule.Delay.TotalMilliseconds;
            var closedEnd = horizon - (((horizon % w) + w) % w);
            long? last;
            await using (var cmd = Command(c, t, "SELECT last_window_end FROM rule_windows WHERE rule = @r", ("@r", rule.Name)))
            {
                last = await cmd.ExecuteScalarAsync(ct) is { } v and not DBNull ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : null;
            }

            if (last is null)
            {
                // First sight: the first window evaluated is the one the rule appeared in. Windows that ended before it
                // are never evaluated, even while their delay has not passed (the rule saw none of their records, so
                // every key would look silent).
                var currentStart = nowMs - (((nowMs % w) + w) % w);
                await ExecuteAsync(c, t, "INSERT INTO rule_windows (rule, last_window_end) VALUES (@r, @e)", ct, ("@r", rule.Name), ("@e", Math.Max(closedEnd, currentStart)));
                return false;
            }

            if (closedEnd <= last) return false;
            var changed = false;
            var first = Math.Max(last.Value, closedEnd - (10 * w));
            for (var end = first + w; end <= closedEnd; end += w)
            {
                var start = end - w;
                var counts = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var key in expectedKeys) counts[key] = 0;
                await using (var cmd = Command(c, t, "SELECT key, total FROM window_counts WHERE rule = @r AND window_start = @w", ("@r", rule.Name), ("@w", start)))
                await using (var r = await cmd.ExecuteReaderAsync(ct))
                {
                    while (await r.ReadAsync(ct)) counts[r.GetString(0)] = r.GetDouble(1);
                }

                foreach (var (key, count) in counts)
                {
                    var limit = StreamRules.Limit(rule, key, limits);
                    var annotations = new Dictionary<string, string>
                    {
                        ["summary"] = rule.Summary,
                        ["count"] = Format(count),
                        ["threshold"] = Format(limit),
                        ["windowStart"] = DateTimeOffset.FromUnixTimeMilliseconds(start).ToString("O"),
                        ["windowEnd"] = DateTimeOffset.FromUnixTimeMilliseconds(end).ToString("O"),
                    };
                    changed |= await TransitionAsync(c, t, rule, AlertIdentity.For(rule, key, null), count < limit, count, annotations, null, nowMs, ct);
                }
            }

            await ExecuteAsync(c, t, "UPDATE rule_windows SET last_window_end = @e WHERE rule = @r", ct, ("@r", rule.Name), ("@e", closedEnd));
            await ExecuteAsync(c, t, "DELETE FROM window_counts WHERE rule = @r AND window_start < @w", ct, ("@r", rule.Name), ("@w", closedEnd - (20 * w)));
            return changed;
        }, ct);

    /// <summary>Resolves firing alerts whose period has ended (accumulating rules). Returns true when any did.</summary>
    public Task<bool> ExpireAlertsAsync(IReadOnlyDictionary<string, CompiledRule> rules, long nowMs, CancellationToken ct) =>
        db.WriteAsync(async (c, t) =>
        {
            var expired = new List<(string Fingerprint, string Rule, string Labels)>();
            await using (var cmd = Command(c, t, "SELECT fingerprint, rule, labels FROM alerts WHERE state = 'firing' AND expires_at IS NOT NULL AND expires_at <= @now", ("@now", nowMs)))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct)) expired.Add((r.GetString(0), r.GetString(1), r.GetString(2)));
            }

            foreach (var (fingerprint, ruleName, _) in expired)
            {
                await ExecuteAsync(c, t, "UPDATE alerts SET state = 'resolved', ends_at = @now, updated_at = @now WHERE fingerprint = @f", ct, ("@f", fingerprint), ("@now", nowMs));
                await HistoryAsync(c, t, fingerprint, nowMs, "resolved", 0, "period ended", ct);
                if (rules.TryGetValue(ruleName, out var rule))
                {
                    await using var g = Command(c, t, "SELECT group_key FROM alerts WHERE fingerprint = @f", ("@f", fingerprint));
                    await TouchGroupAsync(c, t, rule, (string)(await g.ExecuteScalarAsync(ct))!, null, nowMs, ct);
                }
            }

            return expired.Count > 0;
        }, ct);

    private async Task<bool> TransitionAsync(DbConnection c, DbTransaction t, CompiledRule rule, AlertIdentity id, bool fire, double value, Dictionary<string, string> annotations, long? expiresAt, long nowMs, CancellationToken ct)
    {
        string? state;
        await using (var cmd = Command(c, t, "SELECT state FROM alerts WHERE fingerprint = @f", ("@f", id.Fingerprint)))
        {
            state = await cmd.ExecuteScalarAsync(ct) as string;
        }

        var annotationsJson = JsonSerializer.Serialize(annotations, Json);
        if (fire)
        {
            if (state == "firing")
            {
                await ExecuteAsync(c, t, "UPDATE alerts SET value = @v, annotations = @a, updated_at = @now WHERE fingerprint = @f", ct, ("@f", id.Fingerprint), ("@v", value), ("@a", annotationsJson), ("@now", nowMs));
                return false;
            }

            await ExecuteAsync(c, t,
                "INSERT INTO alerts (fingerprint, rule, group_key, labels, annotations, state, value, starts_at, ends_at, expires_at, updated_at) VALUES (@f, @r, @g, @l, @a, 'firing', @v, @now, NULL, CAST(@x AS BIGINT), @now) " +
                "ON CONFLICT (fingerprint) DO UPDATE SET state = 'firing', value = excluded.value, annotations = excluded.annotations, starts_at = excluded.starts_at, ends_at = NULL, expires_at = excluded.expires_at, updated_at = excluded.updated_at, ack_by = NULL, ack_at = NULL, ack_comment = NULL",
                ct, ("@f", id.Fingerprint), ("@r", rule.Name), ("@g", id.GroupKey), ("@l", JsonSerializer.Serialize(id.Labels, Json)), ("@a", annotationsJson), ("@v", value), ("@x", expiresAt), ("@now", nowMs));
            await HistoryAsync(c, t, id.Fingerprint, nowMs, "firing", value, null, ct);
        }
        else
        {
            if (state != "firing") return false;
            await ExecuteAsync(c, t, "UPDATE alerts SET state = 'resolved', value = @v, annotations = @a, ends_at = @now, updated_at = @now WHERE fingerprint = @f", ct, ("@f", id.Fingerprint), ("@v", value), ("@a", annotationsJson), ("@now", nowMs));
            await HistoryAsync(c, t, id.Fingerprint, nowMs, "resolved", value, null, ct);
        }

        await TouchGroupAsync(c, t, rule, id.GroupKey, id.GroupLabels, nowMs, ct);
        return true;
    }

    /// <summary>An alert of the group changed: schedule a flush after group wait (new group) or group interval (since the last notification).</summary>
    private static async Task TouchGroupAsync(DbConnection c, DbTransaction t, CompiledRule rule, string groupKey, SortedDictionary<string, string>? groupLabels, long nowMs, CancellationToken ct)
    {
        long? next = null, lastSent = null;
        var exists = false;
        await using (var cmd = Command(c, t, "SELECT next_flush_at, last_sent_at FROM alert_groups WHERE group_key = @g", ("@g", groupKey)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct))
            {
                exists = true;
                next = r.IsDBNull(0) ? null : r.GetInt64(0);
                lastSent = r.IsDBNull(1) ? null : r.GetInt64(1);
            }
        }

        if (!exists)
        {
            await ExecuteAsync(c, t, "INSERT INTO alert_groups (group_key, rule, labels, next_flush_at, seq) VALUES (@g, @r, @l, @n, 0)", ct,
                ("@g", groupKey), ("@r", rule.Name), ("@l", JsonSerializer.Serialize(groupLabels ?? [], Json)), ("@n", nowMs + (long)rule.GroupWait.TotalMilliseconds));
            return;
        }

        if (next is not null) return;
        var flush = lastSent is null ? nowMs + (long)rule.GroupWait.TotalMilliseconds : Math.Max(nowMs, lastSent.Value + (long)rule.GroupInterval.TotalMilliseconds);
        await ExecuteAsync(c, t, "UPDATE alert_groups SET next_flush_at = @n WHERE group_key = @g", ct, ("@g", groupKey), ("@n", flush));
    }

    private static Task HistoryAsync(DbConnection c, DbTransaction t, string fingerprint, long at, string evt, double value, string? detail, CancellationToken ct) =>
        ExecuteAsync(c, t, "INSERT INTO alert_history (fingerprint, at, event, value, detail) VALUES (@f, @at, @e, @v, @d)", ct, ("@f", fingerprint), ("@at", at), ("@e", evt), ("@v", value), ("@d", detail));

    // ---- grouping and the outbox ----

    /// <summary>
    /// Turns due groups into notifications: each due group's unsilenced firing alerts and newly resolved ones become one
    /// payload per notifier in the outbox, in the same transaction that marks them notified. Returns how many were queued.
    /// </summary>
    public Task<int> FlushDueGroupsAsync(IReadOnlyDictionary<string, CompiledRule> rules, IReadOnlyList<Silence> silences, long nowMs, CancellationToken ct) =>
        db.WriteAsync(async (c, t) =>
        {
            var due = new List<(string Key, string Rule, string Labels, long? Next, long? Repeat, long Seq)>();
            await using (var cmd = Command(c, t, "SELECT group_key, rule, labels, next_flush_at, repeat_at, seq FROM alert_groups WHERE next_flush_at <= @now OR repeat_at <= @now", ("@now", nowMs)))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct)) due.Add((r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt64(4), r.GetInt64(5)));
            }

            var queued = 0;
            foreach (var group in due)
            {
                if (!rules.TryGetValue(group.Rule, out var rule))
                {
                    await ExecuteAsync(c, t, "UPDATE alert_groups SET next_flush_at = NULL, repeat_at = NULL WHERE group_key = @g", ct, ("@g", group.Key));
                    continue;
                }

                var alerts = await ReadAlertsAsync(c, t, "WHERE group_key = @g AND (state = 'firing' OR notified_state = 'firing')", ct, ("@g", group.Key));
                var firingLeft = false;
                var changed = false;
                var send = new List<AlertRow>();
                var repeatOnly = new List<AlertRow>();
                foreach (var a in alerts)
                {
                    var silenced = a.State == "firing" && silences.Any(s => s.Mutes(a.Labels, nowMs));
                    if (a.State == "firing") firingLeft = true;
                    if (silenced) continue;
                    var isChange = a.NotifiedState != a.State;
                    changed |= isChange;
                    if (a.State == "firing" || isChange) send.Add(a);
                    if (a.State == "firing" && a.AcknowledgedAt is null) repeatOnly.Add(a);
                }

                var repeatDue = group.Repeat is { } rp && rp <= nowMs;
                var batch = changed ? send : repeatDue ? repeatOnly : [];
                var seq = group.Seq;
                if (batch.Count > 0)
                {
                    seq++;
                    var groupLabels = JsonSerializer.Deserialize<SortedDictionary<string, string>>(group.Labels, Json)!;
                    var payload = NotificationPayload.Create(rule, group.Key, groupLabels, batch, seq, nowMs);
                    for (var i = 0; i < rule.Notify.Count; i++)
                    {
                        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{group.Key}|{seq}|{i}")).AsSpan(0, 16));
                        await ExecuteAsync(c, t,
                            "INSERT INTO outbox (key, group_key, rule, notifier, config, payload, state, attempts, next_attempt_at, created_at) VALUES (@k, @g, @r, @n, @c, @p, 'pending', 0, @now, @now) ON CONFLICT (key) DO NOTHING",
                            ct, ("@k", key), ("@g", group.Key), ("@r", rule.Name), ("@n", rule.Notify[i].Type), ("@c", JsonSerializer.Serialize(rule.Notify[i], Json)), ("@p", payload), ("@now", nowMs));
                        queued++;
                    }

                    foreach (var a in batch)
                    {
                        await ExecuteAsync(c, t, "UPDATE alerts SET notified_state = @s WHERE fingerprint = @f", ct, ("@f", a.Fingerprint), ("@s", a.State));
                        await HistoryAsync(c, t, a.Fingerprint, nowMs, "notified", a.Value, $"{a.State} via {string.Join(",", rule.Notify.Select(n => n.Type))} (notification {seq})", ct);
                    }
                }

                long? repeatAt = !firingLeft ? null : batch.Count > 0 ? nowMs + (long)rule.RepeatInterval.TotalMilliseconds : nowMs + (long)rule.GroupInterval.TotalMilliseconds;
                if (batch.Count == 0 && group.Repeat is { } keep && keep > nowMs) repeatAt = keep;
                await ExecuteAsync(c, t, "UPDATE alert_groups SET next_flush_at = NULL, repeat_at = CAST(@rp AS BIGINT), seq = @s, last_sent_at = CASE WHEN @sent = 1 THEN @now ELSE last_sent_at END WHERE group_key = @g", ct,
                    ("@g", group.Key), ("@rp", repeatAt), ("@s", seq), ("@sent", batch.Count > 0 ? 1 : 0), ("@now", nowMs));
            }

            return queued;
        }, ct);

    public async Task<List<OutboxRow>> PendingNotificationsAsync(long nowMs, int limit, CancellationToken ct) =>
        await ReadOutboxAsync("WHERE state = 'pending' AND next_attempt_at <= @now ORDER BY created_at, key LIMIT @limit", ct, ("@now", nowMs), ("@limit", limit));

    public async Task<List<OutboxRow>> NotificationLogAsync(string? rule, string? state, int limit, CancellationToken ct) =>
        await ReadOutboxAsync("WHERE (@r IS NULL OR rule = @r) AND (@s IS NULL OR state = @s) ORDER BY created_at DESC, key LIMIT @limit", ct, ("@r", rule), ("@s", state), ("@limit", limit));

    public Task MarkSentAsync(string key, int attempts, long nowMs, CancellationToken ct) => db.WriteAsync((c, t) =>
        ExecuteAsync(c, t, "UPDATE outbox SET state = 'sent', attempts = @a, sent_at = @now, last_error = NULL WHERE key = @k", ct, ("@k", key), ("@a", attempts), ("@now", nowMs)), ct);

    public Task MarkFailedAsync(string key, int attempts, string error, long nextAttemptMs, CancellationToken ct) => db.WriteAsync((c, t) =>
        ExecuteAsync(c, t, "UPDATE outbox SET attempts = @a, last_error = @e, next_attempt_at = @n WHERE key = @k", ct, ("@k", key), ("@a", attempts), ("@e", error), ("@n", nextAttemptMs)), ct);

    private async Task<List<OutboxRow>> ReadOutboxAsync(string where, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT key, group_key, rule, notifier, config, payload, state, attempts, next_attempt_at, last_error, created_at, sent_at FROM outbox " + where, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<OutboxRow>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new OutboxRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetInt32(7),
                Time(r.GetInt64(8)), r.IsDBNull(9) ? null : r.GetString(9), Time(r.GetInt64(10)), r.IsDBNull(11) ? null : Time(r.GetInt64(11))));
        }

        return list;
    }

    // ---- queries for the API ----
    public async Task<List<AlertRow>> AlertsAsync(string? state, string? rule, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await ReadAlertsAsync(c, null, "WHERE (@s IS NULL OR state = @s) AND (@r IS NULL OR rule = @r) ORDER BY updated_at DESC, fingerprint", ct, ("@s", state), ("@r", rule));
    }

    public async Task<AlertRow?> AlertAsync(string fingerprint, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await ReadAlertsAsync(c, null, "WHERE fingerprint = @f", ct, ("@f", fingerprint))).FirstOrDefault();
    }

    public async Task<List<HistoryRow>> HistoryAsync(string? fingerprint, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT id, fingerprint, at, event, value, detail FROM alert_history WHERE (@f IS NULL OR fingerprint = @f) ORDER BY id DESC LIMIT @limit", ("@f", fingerprint), ("@limit", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<HistoryRow>();
        while (await r.ReadAsync(ct)) list.Add(new HistoryRow(r.GetInt64(0), r.GetString(1), Time(r.GetInt64(2)), r.GetString(3), r.GetDouble(4), r.IsDBNull(5) ? null : r.GetString(5)));
        return list;
    }

    public Task<bool> AcknowledgeAsync(string fingerprint, string by, string comment, long nowMs, CancellationToken ct) => db.WriteAsync(async (c, t) =>
    {
        var n = await ExecuteAsync(c, t, "UPDATE alerts SET ack_by = @b, ack_at = @now, ack_comment = @m WHERE fingerprint = @f", ct, ("@f", fingerprint), ("@b", by), ("@m", comment), ("@now", nowMs));
        if (n > 0) await HistoryAsync(c, t, fingerprint, nowMs, "acknowledged", 0, $"{by}: {comment}", ct);
        return n > 0;
    }, ct);

    /// <summary>Running totals and open window counts of a rule, for operators (and tests) to see what it has consumed.</summary>
    public async Task<(List<(string Key, string Period, double Total)> Totals, List<(string Key, long WindowStart, double Total)> Windows)> RuleStateAsync(string rule, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var totals = new List<(string, string, double)>();
        await using (var cmd = Command(c, null, "SELECT key, period, total FROM totals WHERE rule = @r ORDER BY key, period", ("@r", rule)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) totals.Add((r.GetString(0), r.GetString(1), r.GetDouble(2)));
        }

        var windows = new List<(string, long, double)>();
        await using (var cmd = Command(c, null, "SELECT key, window_start, total FROM window_counts WHERE rule = @r ORDER BY key, window_start", ("@r", rule)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) windows.Add((r.GetString(0), r.GetInt64(1), r.GetDouble(2)));
        }

        return (totals, windows);
    }

    private static async Task<List<AlertRow>> ReadAlertsAsync(DbConnection c, DbTransaction? t, string where, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var cmd = Command(c, t, "SELECT fingerprint, rule, group_key, labels, annotations, state, value, starts_at, ends_at, updated_at, notified_state, ack_by, ack_at, ack_comment FROM alerts " + where, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<AlertRow>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new AlertRow(r.GetString(0), r.GetString(1), r.GetString(2),
                JsonSerializer.Deserialize<SortedDictionary<string, string>>(r.GetString(3), Json)!,
                JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(4), Json)!,
                r.GetString(5), r.GetDouble(6), Time(r.GetInt64(7)), r.IsDBNull(8) ? null : Time(r.GetInt64(8)), Time(r.GetInt64(9)),
                r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11), r.IsDBNull(12) ? null : Time(r.GetInt64(12)), r.IsDBNull(13) ? null : r.GetString(13)));
        }

        return list;
    }

    // ---- silences ----
    public Task SaveSilenceAsync(Silence s, long nowMs, CancellationToken ct) => db.WriteAsync((c, t) =>
        ExecuteAsync(c, t, "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at) VALUES (@i, @m, @s, @e, @b, @c, @now) ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at, ends_at = excluded.ends_at, created_by = excluded.created_by, comment = excluded.comment", ct,
            ("@i", s.Id), ("@m", JsonSerializer.Serialize(s.Matchers, Json)), ("@s", s.StartsAt!.Value.ToUnixTimeMilliseconds()), ("@e", s.EndsAt!.Value.ToUnixTimeMilliseconds()), ("@b", s.CreatedBy ?? ""), ("@c", s.Comment ?? ""), ("@now", nowMs)), ct);

    public Task<bool> ExpireSilenceAsync(string id, long nowMs, CancellationToken ct) => db.WriteAsync(async (c, t) =>
        await ExecuteAsync(c, t, "UPDATE silences SET ends_at = @now WHERE id = @i AND ends_at > @now", ct, ("@i", id), ("@now", nowMs)) > 0, ct);

    public async Task<List<Silence>> SilencesAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT id, matchers, starts_at, ends_at, created_by, comment FROM silences ORDER BY created_at DESC");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<Silence>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new Silence
            {
                Id = r.GetString(0),
                Matchers = JsonSerializer.Deserialize<List<Matcher>>(r.GetString(1), Json),
                StartsAt = Time(r.GetInt64(2)),
                EndsAt = Time(r.GetInt64(3)),
                CreatedBy = r.GetString(4),
                Comment = r.GetString(5),
            });
        }

        return list;
    }

    // ---- leader ----

    /// <summary>Takes or renews the named lease for <paramref name="owner"/>; true while this owner holds it.</summary>
    public Task<bool> TryLeadAsync(string name, string owner, long nowMs, long durationMs, CancellationToken ct) => db.WriteAsync(async (c, t) =>
    {
        await ExecuteAsync(c, t, "INSERT INTO leader (name, owner, expires_at) VALUES (@n, @o, @x) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE leader.owner = excluded.owner OR leader.expires_at < @now", ct,
            ("@n", name), ("@o", owner), ("@x", nowMs + durationMs), ("@now", nowMs));
        await using var cmd = Command(c, t, "SELECT owner FROM leader WHERE name = @n", ("@n", name));
        return (string?)await cmd.ExecuteScalarAsync(ct) == owner;
    }, ct);

    internal static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string Format(double v) => v.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
}
