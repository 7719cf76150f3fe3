#pragma once
// The body of POST /api/probe (docs/api.md, "Probes"), its one reader: a JSON object with "text" (and
// optionally "text_pair"), "input_ids" (and optionally "token_type_ids"), or, on an image run, "image" (a
// base64 PNG or JPEG, bare or as a data: URL). Anything else is an HttpError 400 with one line. Callable
// alone: tests/fuzz/fuzz_probe.cpp feeds it arbitrary bytes.
#include <string>

#include "run/inputs.hpp"

namespace attnviz::server {

// The body's input as extract would read it from a .jsonl line (origin "probe"); an image's bytes decoded.
struct ProbeRequest {
  InputItem item;
  std::string image;  // the decoded image file, when item.kind is Image; never empty then
};

// image_run: the run's model reads images (then only "image" is accepted, else "image" is refused).
ProbeRequest parse_probe_request(const std::string& body, bool image_run);

}  // namespace attnviz::server
