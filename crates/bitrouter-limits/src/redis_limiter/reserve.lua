-- Admits one call against every subject, or against none (a script runs atomically).
-- The same rules, in the same order, as src/rules.rs.
--
-- KEYS, five per subject i (0-based), at 5*i+1 ..: the rpm window counter, the tpm window
--   counter, the in-flight sorted set (reservation id -> lease expiry ms), the reserved hash
--   (reservation id -> estimated micro-dollars), the period's running spend (micro-dollars).
-- ARGV: now_ms, reservation id, estimated tokens, estimated micro-dollars, lease ms,
--   window counter ttl ms, subject count; then five per subject: rpm, tpm, max concurrency,
--   budget micro-dollars, ledger spend micro-dollars (-1 means "no such limit").
-- Returns {1} when admitted, else {0, subject index (0-based), code, remaining micro-dollars}
--   with code 1 budget, 2 requests per minute, 3 tokens per minute, 4 concurrency.
local now = tonumber(ARGV[1])
local id = ARGV[2]
local est_tokens = tonumber(ARGV[3])
local est_micros = tonumber(ARGV[4])
local lease = tonumber(ARGV[5])
local window_ttl = tonumber(ARGV[6])
local n = tonumber(ARGV[7])

local function limit(i, j)
  return tonumber(ARGV[7 + 5 * i + j])
end

for i = 0, n - 1 do
  local k = 5 * i
  local inflight, reserved = KEYS[k + 3], KEYS[k + 4]
  -- Calls whose process died without settling or releasing: their lease has run out.
  local expired = redis.call('ZRANGEBYSCORE', inflight, '-inf', now)
  for _, gone in ipairs(expired) do
    redis.call('ZREM', inflight, gone)
    redis.call('HDEL', reserved, gone)
  end

  local budget = limit(i, 4)
  if budget >= 0 then
    local spent = tonumber(redis.call('GET', KEYS[k + 5]) or '0')
    local ledger = limit(i, 5)
    if ledger > spent then
      spent = ledger
    end
    local held = 0
    for _, micros in ipairs(redis.call('HVALS', reserved)) do
      held = held + tonumber(micros)
    end
    local remaining = budget - spent - held
    if est_micros > remaining then
      return {0, i, 1, remaining}
    end
  end
  local rpm = limit(i, 1)
  if rpm >= 0 and tonumber(redis.call('GET', KEYS[k + 1]) or '0') + 1 > rpm then
    return {0, i, 2, 0}
  end
  local tpm = limit(i, 2)
  if tpm >= 0 and tonumber(redis.call('GET', KEYS[k + 2]) or '0') + est_tokens > tpm then
    return {0, i, 3, 0}
  end
  local max_concurrency = limit(i, 3)
  if max_concurrency >= 0 and redis.call('ZCARD', inflight) + 1 > max_concurrency then
    return {0, i, 4, 0}
  end
end

for i = 0, n - 1 do
  local k = 5 * i
  if limit(i, 1) >= 0 then
    redis.call('INCR', KEYS[k + 1])
    redis.call('PEXPIRE', KEYS[k + 1], window_ttl)
  end
  if limit(i, 2) >= 0 then
    redis.call('INCRBY', KEYS[k + 2], est_tokens)
    redis.call('PEXPIRE', KEYS[k + 2], window_ttl)
  end
  -- The sets outlive their last lease by a minute, then go.
  redis.call('ZADD', KEYS[k + 3], now + lease, id)
  redis.call('PEXPIRE', KEYS[k + 3], lease + 60000)
  redis.call('HSET', KEYS[k + 4], id, est_micros)
  redis.call('PEXPIRE', KEYS[k + 4], lease + 60000)
end
return {1}
