/**
 * The Lua scripts of the Redis Controls. Each change is one script, so the record, its expiry
 * and age indexes, the audit entry, the sequence number and the published message can never
 * disagree: an instance that sees message N knows the state after change N, and one that
 * loads the set knows which sequence number the set reflects.
 *
 * Keys (all share the `{controls}` hash tag, so a Redis Cluster keeps them on one slot):
 *   KEYS[1] blocks  hash   `kind:value` → JSON record (expiry inside)
 *   KEYS[2] expiry  zset   field scored by expiresAt (permanent blocks are absent)
 *   KEYS[3] age     zset   field scored by createdAt (the oldest is evicted when full)
 *   KEYS[4] audit   list   JSON entries, newest first, trimmed
 *   KEYS[5] seq     string the number of the last change
 */

/** Deletes expired blocks. Replicas drop them by their own clock, so nothing is published. */
const PRUNE = `
local function drop(fields)
  for i = 1, #fields, 500 do
    local chunk = {}
    for j = i, math.min(i + 499, #fields) do chunk[#chunk + 1] = fields[j] end
    redis.call('HDEL', KEYS[1], unpack(chunk))
    redis.call('ZREM', KEYS[2], unpack(chunk))
    redis.call('ZREM', KEYS[3], unpack(chunk))
  end
end
-- A block expires at expiresAt exactly (now >= expiresAt), as in the memory store.
drop(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1]))
`;

/**
 * ARGV: now, field, record, expiresAt ('' = permanent), createdAt, audit entry, audit max,
 * max entries, channel. Returns the change's sequence number.
 */
export const ADD_SCRIPT = `${PRUNE}
local evicted = {}
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0 then
  local excess = redis.call('HLEN', KEYS[1]) - tonumber(ARGV[8]) + 1
  if excess > 0 then
    evicted = redis.call('ZRANGE', KEYS[3], 0, excess - 1)
    drop(evicted)
  end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[2], ARGV[2])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
end
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[2])
redis.call('LPUSH', KEYS[4], ARGV[6])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[7]) - 1)
local seq = redis.call('INCR', KEYS[5])
local list = '[]'
if #evicted > 0 then list = cjson.encode(evicted) end
redis.call('PUBLISH', ARGV[9], '{"seq":' .. seq .. ',"op":"add","block":' .. ARGV[3] .. ',"evicted":' .. list .. '}')
return seq
`;

/**
 * ARGV: now, field, author, audit max, channel, kind, value. Returns the change's sequence
 * number, or 0 when there was no active block (an expired one is deleted without a trace).
 */
export const REMOVE_SCRIPT = `${PRUNE}
local record = redis.call('HGET', KEYS[1], ARGV[2])
if not record then return 0 end
drop({ARGV[2]})
local ok, block = pcall(cjson.decode, record)
if not ok or type(block) ~= 'table' then block = {} end
local reason = block.reason
if type(reason) ~= 'string' then reason = '' end
local source = block.source
if type(source) ~= 'string' then source = 'operator' end
redis.call('LPUSH', KEYS[4], cjson.encode({
  time = tonumber(ARGV[1]), action = 'remove', kind = ARGV[6], value = ARGV[7],
  author = ARGV[3], reason = reason, source = source, ttlMs = cjson.null,
}))
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[4]) - 1)
local seq = redis.call('INCR', KEYS[5])
redis.call('PUBLISH', ARGV[5], cjson.encode({seq = seq, op = 'remove', kind = ARGV[6], value = ARGV[7]}))
return seq
`;

/** ARGV: now. Returns {seq, {field, record, field, record, ...}} after pruning expired blocks. */
export const LOAD_SCRIPT = `${PRUNE}
return {redis.call('GET', KEYS[5]) or '0', redis.call('HGETALL', KEYS[1])}
`;
