-- Settles one call against every subject it was reserved for.
--
-- KEYS, five per subject i (0-based), at 5*i+1 ..: the tpm counter of the window the call was
--   reserved in, the tpm counter of the current window, the in-flight sorted set, the reserved
--   hash, the period's running spend.
-- ARGV: reservation id, estimated tokens, actual tokens, actual micro-dollars, window counter
--   ttl ms, subject count; then two per subject: 1 if it has a tpm limit else 0, the running
--   spend's ttl ms (0 when the subject has no budget).
local id = ARGV[1]
local est = tonumber(ARGV[2])
local actual = tonumber(ARGV[3])
local actual_micros = tonumber(ARGV[4])
local window_ttl = tonumber(ARGV[5])
local n = tonumber(ARGV[6])

for i = 0, n - 1 do
  local k = 5 * i
  local tpm_limited = ARGV[6 + 2 * i + 1] == '1'
  local spend_ttl = tonumber(ARGV[6 + 2 * i + 2])
  redis.call('ZREM', KEYS[k + 3], id)
  redis.call('HDEL', KEYS[k + 4], id)
  if tpm_limited then
    if KEYS[k + 1] == KEYS[k + 2] then
      -- Same window: replace the estimate by the actual count.
      if redis.call('EXISTS', KEYS[k + 1]) == 1 then
        if redis.call('INCRBY', KEYS[k + 1], actual - est) < 0 then
          redis.call('SET', KEYS[k + 1], 0, 'KEEPTTL')
        end
      end
    elseif actual > est then
      -- The estimate went with the old window; only the excess lands in this one.
      redis.call('INCRBY', KEYS[k + 2], actual - est)
      redis.call('PEXPIRE', KEYS[k + 2], window_ttl)
    end
  end
  if spend_ttl > 0 and actual_micros > 0 then
    redis.call('INCRBY', KEYS[k + 5], actual_micros)
    redis.call('PEXPIRE', KEYS[k + 5], spend_ttl)
  end
end
return {1}
