#pragma once
// The message of the attnviz::Error an action throws, to compare with what the user should read.
#include <functional>
#include <string>

#include "core/error.hpp"

namespace attnviz::test {

// The Error's message, or "no error" when the action returns normally (other exceptions propagate).
inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace attnviz::test
