-- wrk script for the Kehu benchmarks (driven by `kehu-bench run`, usable by hand).
--
--   wrk -t2 -c16 -d15s --latency -s bench/kehu.lua http://127.0.0.1:8080 -- MODE TOKEN [MAX_ID]
--
-- MODE
--   get     GET /api/v1/accounts/{random id in 1..MAX_ID}   (also served by the baseline)
--   list    GET /api/v1/accounts?<one filter>&sort=<one sort>&limit=50, both drawn at random
--   search  GET /api/v1/search?q=<a realistic term drawn at random>
-- TOKEN     API token sent as `Authorization: Bearer TOKEN` ("-" for none).
--
-- At the end one line `KEHU_RESULT {json}` gives requests, duration, errors and latency
-- percentiles (microseconds) for kehu-bench to read.

local mode, max_id
local counter = 0

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- Filters a sales list page is opened with, and the sorts offered on indexed columns.
local filters = {
  "level=VIP", "level=" .. urlencode("重要"), "level=" .. urlencode("普通"),
  "lifecycle_status=active", "lifecycle_status=potential", "lifecycle_status=dormant", "lifecycle_status=lost",
  "province=" .. urlencode("广东"), "province=" .. urlencode("上海"), "province=" .. urlencode("北京"),
  "province=" .. urlencode("浙江"), "province=" .. urlencode("四川"), "province=" .. urlencode("海外"),
  "industry=" .. urlencode("软件"), "industry=" .. urlencode("贸易"), "industry=" .. urlencode("医疗"),
}
local sorts = { "-created_at", "-updated_at", "name", "-id" }

-- What people type into the global search box: industry words, trade names, common
-- two-character names, cities, phone fragments, e-mail fragments, English words.
local terms = {
  "科技", "贸易", "物流", "电子", "制造", "餐饮",
  "华信", "鼎盛", "恒通", "金桥", "瑞丰", "宏达",
  "张伟", "王芳", "李娜", "刘洋", "陈静", "王磊", "李强", "张敏", "欧阳",
  "深圳", "杭州", "苏州",
  "深圳 科技", "上海 贸易", "张伟 经理",
  "138", "1391234", "0755", "8613", "5678", "186 2",
  "sales@", "huaxin", "wang.li", "zhangwei",
  "Smith", "Northwind", "trading", "John",
}

local threads_made = 0
function setup(thread)
  threads_made = threads_made + 1
  thread:set("thread_id", threads_made)
end

function init(args)
  mode = args[1] or "get"
  local token = args[2]
  max_id = tonumber(args[3] or "1000")
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  if token and token ~= "" and token ~= "-" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  wrk.headers["Accept"] = "application/json"
end

function request()
  counter = counter + 1
  local path
  if mode == "get" then
    path = "/api/v1/accounts/" .. math.random(1, max_id)
  elseif mode == "list" then
    path = "/api/v1/accounts?" .. filters[math.random(#filters)] .. "&sort=" .. sorts[math.random(#sorts)] .. "&limit=50"
  elseif mode == "search" then
    path = "/api/v1/search?q=" .. urlencode(terms[math.random(#terms)])
  else
    error("unknown mode " .. tostring(mode))
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'KEHU_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
