// Lua scripts of the DNI pool allocator. Each runs atomically in Redis, so a number can never be in
// two live leases, whatever the number of app instances. All keys of one pool share a hash tag.
//
// KEYS: 1 leases  (ZSET number → lease expiry ms)
//       2 free    (ZSET number → released-at ms; 0 = never used)
//       3 holder  (HASH number → sid of the current or last holder)
//       4 bysid   (HASH sid → "number" it holds or last held, while nobody else took that number;
//                  "number|written-at ms|visit fingerprint" once the visitor's stored session is
//                  known to describe a visit with that fingerprint on that number, which lets a
//                  renewal that changes nothing skip reading and rewriting the session)
//       5 prev    (HASH number → "sid|released-at" of the holder before the current one)
//       6 start   (HASH number → lease start ms, for hold-time statistics)
//       7 stats   (HASH counters: requests, new, kept, rebound, exhausted, peak, ended, held_ms)
//       8 fp      (no longer written: fingerprints moved into bysid; SYNC deletes what an older
//                  version left there)
//
// The lease script runs once per batch of visitors, so its per-visitor part is kept to the few
// Redis calls a decision needs: a renewal is HGET bysid, HGET holder and ZADD XX CH.

/** The number part of a bysid value. */
const BOUND = `
local function bound(b)
  if not b then return nil end
  local bar = string.find(b, '|', 1, true)
  if bar then return string.sub(b, 1, bar - 1) end
  return b
end
`;

/**
 * Frees leases whose expiry has passed (at most 100 per call); shared prologue of every script.
 * `live` counts live leases once a lease script needs it for the peak (nil until then).
 */
const REAP = `${BOUND}
local live = nil
-- Ends the lease on number n at time t: the number starts its cooldown, hold time is counted.
local function finish(n, t)
  redis.call('ZREM', KEYS[1], n)
  redis.call('ZADD', KEYS[2], t, n)
  if live then live = live - 1 end
  local st = redis.call('HGET', KEYS[6], n)
  if st then
    redis.call('HINCRBY', KEYS[7], 'held_ms', t - tonumber(st))
    redis.call('HINCRBY', KEYS[7], 'ended', 1)
    redis.call('HDEL', KEYS[6], n)
  end
end
local function reap(now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 100)
  for i = 1, #expired, 2 do finish(expired[i], tonumber(expired[i + 1])) end
end
`;

/**
 * Marks and leases for one pool in one call. Marks come first, then leases, each exactly as if it
 * ran alone, in the order given.
 *
 * ARGV[1]: "idle-ms cooldown-ms rewrite-ms marks", the pool's settings and how many marks follow.
 * Then `marks` texts "sid number written-at-ms fingerprint": the session stored for sid at
 * written-at describes a visit with that fingerprint while sid holds that number (ignored when sid
 * is no longer bound to the number). A mark whose number is "-" forgets sid's fingerprint instead
 * (its session moved to another pool). Then one text per lease, "now-ms sid fingerprint" (the sid
 * has no space; the fingerprint is the rest, possibly empty).
 *
 * Returns one text per lease: the outcome's letter (k kept, r rebound, n new, x exhausted), then 1
 * when the lease is fresh or 0, then the number (none when exhausted). Fresh means the visitor keeps
 * its number and its session was marked less than rewrite-ms ago with the same fingerprint, so the
 * session needs no work.
 */
export const LEASE_SCRIPT = `${REAP}
local peak, peakChanged = nil, false
local function take(n, now, idle)
  redis.call('ZREM', KEYS[2], n)
  redis.call('ZADD', KEYS[1], now + idle, n)
  redis.call('HSET', KEYS[6], n, now)
  if live then live = live + 1
  else
    live = redis.call('ZCARD', KEYS[1])
    peak = tonumber(redis.call('HGET', KEYS[7], 'peak') or '0')
  end
  if live > peak then peak = live; peakChanged = true end
end
local function fresh(b, n, now, fp, rewrite)
  if #b <= #n then return 0 end
  local bar = string.find(b, '|', #n + 2, true)
  if not bar then return 0 end
  if now - tonumber(string.sub(b, #n + 2, bar - 1)) >= rewrite then return 0 end
  if string.sub(b, bar + 1) ~= fp then return 0 end
  return 1
end
local function lease(sid, now, idle, cooldown, fp, rewrite)
  local b = redis.call('HGET', KEYS[4], sid)
  local mine = bound(b)
  if mine and redis.call('HGET', KEYS[3], mine) == sid then
    -- XX: only a live lease is extended; CH: 1 when its expiry moved (0 also when already equal).
    if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + idle, mine) == 1 or redis.call('ZSCORE', KEYS[1], mine) then
      return 'k' .. fresh(b, mine, now, fp, rewrite) .. mine
    end
    if redis.call('ZSCORE', KEYS[2], mine) then
      -- The visitor comes back to the number it last held, which nobody took since.
      take(mine, now, idle)
      return 'r' .. fresh(b, mine, now, fp, rewrite) .. mine
    end
  end
  local cand = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - cooldown, 'WITHSCORES', 'LIMIT', 0, 1)
  if #cand == 0 then return 'x0' end
  local n, released = cand[1], cand[2]
  local old = redis.call('HGET', KEYS[3], n)
  if old then
    if bound(redis.call('HGET', KEYS[4], old)) == n then redis.call('HDEL', KEYS[4], old) end
    redis.call('HSET', KEYS[5], n, old .. '|' .. released)
  end
  redis.call('HSET', KEYS[3], n, sid)
  redis.call('HSET', KEYS[4], sid, n)
  take(n, now, idle)
  return 'n0' .. n
end
local idle, cooldown, rewrite, marks = string.match(ARGV[1], '^(%S+) (%S+) (%S+) (%S+)$')
idle, cooldown, rewrite, marks = tonumber(idle), tonumber(cooldown), tonumber(rewrite), tonumber(marks)
for i = 2, marks + 1 do
  local sid, n, at, fp = string.match(ARGV[i], '^(%S+) (%S+) (%S+) (.*)$')
  local b = redis.call('HGET', KEYS[4], sid)
  if b then
    local mine = bound(b)
    if n == '-' then
      if mine ~= b then redis.call('HSET', KEYS[4], sid, mine) end
    elseif mine == n then
      redis.call('HSET', KEYS[4], sid, n .. '|' .. at .. '|' .. fp)
    end
  end
end
local counts = {k = 0, r = 0, n = 0, x = 0}
local out = {}
local reaped = -1
for i = marks + 2, #ARGV do
  local a = ARGV[i]
  local s1 = string.find(a, ' ', 1, true)
  local s2 = string.find(a, ' ', s1 + 1, true)
  local now = tonumber(string.sub(a, 1, s1 - 1))
  if now > reaped then
    reap(now)
    reaped = now
  end
  local r = lease(string.sub(a, s1 + 1, s2 - 1), now, idle, cooldown, string.sub(a, s2 + 1), rewrite)
  local c = string.sub(r, 1, 1)
  counts[c] = counts[c] + 1
  out[#out + 1] = r
end
if #out > 0 then
  redis.call('HINCRBY', KEYS[7], 'requests', #out)
  if counts.k > 0 then redis.call('HINCRBY', KEYS[7], 'kept', counts.k) end
  if counts.r > 0 then redis.call('HINCRBY', KEYS[7], 'rebound', counts.r) end
  if counts.n > 0 then redis.call('HINCRBY', KEYS[7], 'new', counts.n) end
  if counts.x > 0 then redis.call('HINCRBY', KEYS[7], 'exhausted', counts.x) end
end
if peakChanged then redis.call('HSET', KEYS[7], 'peak', peak) end
return out
`;

/** ARGV: sid, now ms, idle ms, max lease ms. Returns {number, expiry} or false when the lease is gone. */
export const HEARTBEAT_SCRIPT = `${REAP}
local sid, now, idle, maxLease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
reap(now)
local n = bound(redis.call('HGET', KEYS[4], sid))
if not n or redis.call('HGET', KEYS[3], n) ~= sid or not redis.call('ZSCORE', KEYS[1], n) then return false end
local st = tonumber(redis.call('HGET', KEYS[6], n) or now)
local exp = math.min(now + idle, st + maxLease)
if exp <= now then return false end
redis.call('ZADD', KEYS[1], exp, n)
return {n, exp}
`;

/** ARGV: sid, now ms. Ends the visitor's live lease now; the number starts its cooldown. */
export const RELEASE_SCRIPT = `${REAP}
local sid, now = ARGV[1], tonumber(ARGV[2])
reap(now)
local n = bound(redis.call('HGET', KEYS[4], sid))
if not n or redis.call('HGET', KEYS[3], n) ~= sid or not redis.call('ZSCORE', KEYS[1], n) then return false end
finish(n, now)
return n
`;

/** ARGV: now ms, then the pool's active numbers. Adds new ones as free, drops removed ones. */
export const SYNC_SCRIPT = `${REAP}
local now = tonumber(ARGV[1])
redis.call('HSETNX', KEYS[7], 'since', now)
redis.call('DEL', KEYS[8])
local wanted = {}
for i = 2, #ARGV do wanted[ARGV[i]] = true end
local function drop(n)
  redis.call('ZREM', KEYS[1], n)
  redis.call('ZREM', KEYS[2], n)
  local h = redis.call('HGET', KEYS[3], n)
  if h and bound(redis.call('HGET', KEYS[4], h)) == n then redis.call('HDEL', KEYS[4], h) end
  redis.call('HDEL', KEYS[3], n)
  redis.call('HDEL', KEYS[5], n)
  redis.call('HDEL', KEYS[6], n)
end
for _, key in ipairs({KEYS[1], KEYS[2]}) do
  local present = redis.call('ZRANGE', key, 0, -1)
  for _, n in ipairs(present) do
    if not wanted[n] then drop(n) else wanted[n] = 'seen' end
  end
end
local added = 0
for n, v in pairs(wanted) do
  if v == true then redis.call('ZADD', KEYS[2], 0, n); added = added + 1 end
end
return added
`;

/** ARGV: now ms. Reaps, then reports {live leases, free numbers, stats...}. */
export const STATUS_SCRIPT = `${REAP}
reap(tonumber(ARGV[1]))
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('HGETALL', KEYS[7])}
`;
