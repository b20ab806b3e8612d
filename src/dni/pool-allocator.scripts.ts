// Lua scripts of the DNI pool allocator. Each runs atomically in Redis, so a number can never be in
// two live leases, whatever the number of app instances. All keys of one pool share a hash tag.
//
// KEYS: 1 leases  (ZSET number → lease expiry ms)
//       2 free    (ZSET number → released-at ms; 0 = never used)
//       3 holder  (HASH number → sid of the current or last holder)
//       4 bysid   (HASH sid → number it holds or last held, while nobody else took that number)
//       5 prev    (HASH number → "sid|released-at" of the holder before the current one)
//       6 start   (HASH number → lease start ms, for hold-time statistics)
//       7 stats   (HASH counters: requests, new, kept, rebound, exhausted, peak, ended, held_ms)
//       8 fp      (HASH sid → "written-at ms|number|visit fingerprint" of the visitor's stored session,
//                  kept only while KEYS[4] binds the sid to a number here; lets a renewal that
//                  changes nothing skip reading and rewriting the session)

/** Frees leases whose expiry has passed (at most 100 per call); shared prologue of every script. */
const REAP = `
-- Ends the lease on number n at time t: the number starts its cooldown, hold time is counted.
local function finish(n, t)
  redis.call('ZREM', KEYS[1], n)
  redis.call('ZADD', KEYS[2], t, n)
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
local function take(n, sid, now, idle)
  redis.call('ZREM', KEYS[2], n)
  redis.call('ZADD', KEYS[1], now + idle, n)
  redis.call('HSET', KEYS[6], n, now)
  local live = redis.call('ZCARD', KEYS[1])
  if live > tonumber(redis.call('HGET', KEYS[7], 'peak') or '0') then
    redis.call('HSET', KEYS[7], 'peak', live)
  end
end
`;

/**
 * Leases for several visitors of one pool in one call, each exactly as if it ran alone, in the
 * order given. ARGV: one text per visitor, "now-ms idle-ms cooldown-ms rewrite-ms sid fingerprint"
 * (the sid has no space; the fingerprint is the rest, possibly empty). Returns three values per
 * visitor: number|false, outcome, fresh. Fresh is 1 when the
 * visitor keeps its number and its session was stored less than `rewrite ms` ago from a visit with
 * the same fingerprint (MARK_SCRIPT), so the session needs no work.
 */
export const LEASE_SCRIPT = `${REAP}
local function fresh(sid, n, now, fp, rewrite)
  local f = redis.call('HGET', KEYS[8], sid)
  if not f then return 0 end
  local bar = string.find(f, '|', 1, true)
  if now - tonumber(string.sub(f, 1, bar - 1)) >= rewrite then return 0 end
  if string.sub(f, bar + 1) ~= n .. '|' .. fp then return 0 end
  return 1
end
local function lease(sid, now, idle, cooldown, fp, rewrite)
  local mine = redis.call('HGET', KEYS[4], sid)
  if mine and redis.call('HGET', KEYS[3], mine) == sid then
    if redis.call('ZSCORE', KEYS[1], mine) then
      redis.call('ZADD', KEYS[1], now + idle, mine)
      return mine, 'kept', fresh(sid, mine, now, fp, rewrite)
    end
    if redis.call('ZSCORE', KEYS[2], mine) then
      -- The visitor comes back to the number it last held, which nobody took since.
      take(mine, sid, now, idle)
      return mine, 'rebound', fresh(sid, mine, now, fp, rewrite)
    end
  end
  local cand = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - cooldown, 'WITHSCORES', 'LIMIT', 0, 1)
  if #cand == 0 then return false, 'exhausted', 0 end
  local n, released = cand[1], cand[2]
  local old = redis.call('HGET', KEYS[3], n)
  if old then
    if redis.call('HGET', KEYS[4], old) == n then
      redis.call('HDEL', KEYS[4], old)
      redis.call('HDEL', KEYS[8], old)
    end
    redis.call('HSET', KEYS[5], n, old .. '|' .. released)
  end
  redis.call('HSET', KEYS[3], n, sid)
  redis.call('HSET', KEYS[4], sid, n)
  redis.call('HDEL', KEYS[8], sid)
  take(n, sid, now, idle)
  return n, 'new', 0
end
local counts = {kept = 0, rebound = 0, new = 0, exhausted = 0}
local out = {}
local reaped = -1
for i = 1, #ARGV do
  local now, idle, cooldown, rewrite, sid, fp = string.match(ARGV[i], '^(%S+) (%S+) (%S+) (%S+) (%S+) (.*)$')
  now = tonumber(now)
  if now > reaped then
    reap(now)
    reaped = now
  end
  local n, outcome, f = lease(sid, now, tonumber(idle), tonumber(cooldown), fp, tonumber(rewrite))
  counts[outcome] = counts[outcome] + 1
  out[3 * i - 2] = n
  out[3 * i - 1] = outcome
  out[3 * i] = f
end
redis.call('HINCRBY', KEYS[7], 'requests', #ARGV)
for outcome, c in pairs(counts) do
  if c > 0 then redis.call('HINCRBY', KEYS[7], outcome, c) end
end
return out
`;

/**
 * ARGV: sid, number, written-at ms, visit fingerprint. Records the fingerprint of the session just
 * stored (or found up to date) for the visitor, if the visitor is still bound to that number here.
 */
export const MARK_SCRIPT = `
if redis.call('HGET', KEYS[4], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[8], ARGV[1], ARGV[3] .. '|' .. ARGV[2] .. '|' .. ARGV[4])
return 1
`;

/** ARGV: sid, now ms, idle ms, max lease ms. Returns {number, expiry} or false when the lease is gone. */
export const HEARTBEAT_SCRIPT = `${REAP}
local sid, now, idle, maxLease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
reap(now)
local n = redis.call('HGET', KEYS[4], sid)
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
local n = redis.call('HGET', KEYS[4], sid)
if not n or redis.call('HGET', KEYS[3], n) ~= sid or not redis.call('ZSCORE', KEYS[1], n) then return false end
finish(n, now)
return n
`;

/** ARGV: now ms, then the pool's active numbers. Adds new ones as free, drops removed ones. */
export const SYNC_SCRIPT = `${REAP}
local now = tonumber(ARGV[1])
redis.call('HSETNX', KEYS[7], 'since', now)
local wanted = {}
for i = 2, #ARGV do wanted[ARGV[i]] = true end
local function drop(n)
  redis.call('ZREM', KEYS[1], n)
  redis.call('ZREM', KEYS[2], n)
  local h = redis.call('HGET', KEYS[3], n)
  if h and redis.call('HGET', KEYS[4], h) == n then
    redis.call('HDEL', KEYS[4], h)
    redis.call('HDEL', KEYS[8], h)
  end
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
