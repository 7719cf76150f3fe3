#pragma once
// The one error type of attnviz: a message that is shown to the user as one line.
#include <stdexcept>
#include <string>

namespace attnviz {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace attnviz
