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

/** ARGV: sid, now ms, idle ms, cooldown ms. Returns {number|false, outcome}. */
export const LEASE_SCRIPT = `${REAP}
local sid, now, idle, cooldown = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
reap(now)
redis.call('HINCRBY', KEYS[7], 'requests', 1)
local mine = redis.call('HGET', KEYS[4], sid)
if mine and redis.call('HGET', KEYS[3], mine) == sid then
  if redis.call('ZSCORE', KEYS[1], mine) then
    redis.call('ZADD', KEYS[1], now + idle, mine)
    redis.call('HINCRBY', KEYS[7], 'kept', 1)
    return {mine, 'kept'}
  end
  if redis.call('ZSCORE', KEYS[2], mine) then
    -- The visitor comes back to the number it last held, which nobody took since.
    take(mine, sid, now, idle)
    redis.call('HINCRBY', KEYS[7], 'rebound', 1)
    return {mine, 'rebound'}
  end
end
local cand = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - cooldown, 'WITHSCORES', 'LIMIT', 0, 1)
if #cand == 0 then
  redis.call('HINCRBY', KEYS[7], 'exhausted', 1)
  return {false, 'exhausted'}
end
local n, released = cand[1], cand[2]
local old = redis.call('HGET', KEYS[3], n)
if old then
  if redis.call('HGET', KEYS[4], old) == n then redis.call('HDEL', KEYS[4], old) end
  redis.call('HSET', KEYS[5], n, old .. '|' .. released)
end
redis.call('HSET', KEYS[3], n, sid)
redis.call('HSET', KEYS[4], sid, n)
take(n, sid, now, idle)
redis.call('HINCRBY', KEYS[7], 'new', 1)
return {n, 'new'}
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
  if h and redis.call('HGET', KEYS[4], h) == n then redis.call('HDEL', KEYS[4], h) end
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
