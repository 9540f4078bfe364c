// simdjson_peer: the reference beside ingest_parse_bench (bench/ingest_parse.sh builds it:
// g++ -O2 bench/simdjson_peer.cpp -lsimdjson). Reads the same NDJSON file, cuts it into the
// same bodies of N records, and with simdjson's On-Demand API (iterate_many) extracts the
// 10 fields of the orders schema from every event: strings as string_view, integers,
// amount as a double, event_time as a string, attributes as its raw JSON text. Values are
// folded into a checksum so nothing is optimised away. No columns are built and no
// contract is checked: this is the cost of the JSON extraction alone.
//   simdjson_peer FILE [BODY_RECORDS=1000] [RUNS=5]   -> one human line and one JSON line
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace simdjson;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [BODY_RECORDS] [RUNS]\n", argv[0]);
    return 2;
  }
  size_t body_recs = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
  int runs = argc > 3 ? std::atoi(argv[3]) : 5;
  padded_string file;
  if (padded_string::load(argv[1]).get(file)) {
    std::fprintf(stderr, "simdjson_peer: cannot read %s\n", argv[1]);
    return 1;
  }
  // bodies: each a padded copy, as a server would hold a request body
  std::vector<padded_string> bodies;
  const char *d = file.data();
  size_t len = file.size(), start = 0, k = 0;
  for (size_t i = 0; i < len; i++) {
    if (d[i] == '\n' && ++k % body_recs == 0) {
      bodies.emplace_back(d + start, i + 1 - start);
      start = i + 1;
    }
  }
  if (start < len) bodies.emplace_back(d + start, len - start);
  ondemand::parser parser;
  double best = 1e30;
  uint64_t sum = 0, events = 0;
  for (int r = 0; r < runs; r++) {
    auto t0 = std::chrono::steady_clock::now();
    sum = 0;
    events = 0;
    for (auto &b : bodies) {
      ondemand::document_stream stream;
      if (parser.iterate_many(b.data(), b.size(), 1 << 20).get(stream)) return 1;
      for (auto doc : stream) {
        ondemand::object obj;
        if (doc.get_object().get(obj)) return 1;
        std::string_view s;
        int64_t i;
        double f;
        // fields in schema order (as producers send them): find_field is the fast path
        if (!obj.find_field("event_id").get_string().get(s)) sum += s.size();
        if (!obj.find_field("tenant_id").get_string().get(s)) sum += s.size();
        if (!obj.find_field("order_id").get_int64().get(i)) sum += (uint64_t)i;
        auto u = obj.find_field("user_id");
        if (!u.is_null() && !u.get_int64().get(i)) sum += (uint64_t)i;
        auto pid = obj.find_field("product_id");
        if (!pid.is_null() && !pid.get_int64().get(i)) sum += (uint64_t)i;
        if (!obj.find_field("event_type").get_string().get(s)) sum += s.size();
        auto am = obj.find_field("amount");
        if (!am.is_null() && !am.get_double().get(f)) sum += (uint64_t)f;
        auto cur = obj.find_field("currency");
        if (!cur.is_null() && !cur.get_string().get(s)) sum += s.size();
        if (!obj.find_field("event_time").get_string().get(s)) sum += s.size();
        ondemand::value at;
        if (!obj.find_field("attributes").get(at)) {
          ondemand::object ao;
          if (at.is_null()) sum += 1;
          else if (!at.get_object().get(ao) && !ao.raw_json().get(s)) sum += s.size();
        }
        events++;
      }
    }
    double ns = (double)std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    if (ns < best) best = ns;
  }
  double mbs = (double)len / 1e6 / (best / 1e9);
  std::printf("  simdjson ondemand        %8.0f MB/s  %6.2f M events/s  (%llu events, checksum %llu)\n", mbs,
              (double)events / (best / 1e9) / 1e6, (unsigned long long)events, (unsigned long long)sum);
  std::printf("{\"bench\":\"simdjson_peer\",\"bytes\":%zu,\"events\":%llu,\"mb_s\":%.1f}\n", len,
              (unsigned long long)events, mbs);
  return 0;
}
