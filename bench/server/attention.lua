-- wrk script: GET /api/attention/{layer}/{head}/{sequence} over random layers, heads and sequences.
-- The run's sizes come from the environment (bench/server/load_test.sh sets them from /api/run).
local layers = tonumber(os.getenv("ATTNVIZ_LAYERS"))
local heads = tonumber(os.getenv("ATTNVIZ_HEADS"))
local sequences = tonumber(os.getenv("ATTNVIZ_SEQUENCES"))

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed)
end

function request()
  local path = string.format("/api/attention/%d/%d/%d", math.random(0, layers - 1), math.random(0, heads - 1),
    math.random(0, sequences - 1))
  return wrk.format("GET", path)
end
