// ScriptEngine's state (scripting.h): the Lua state, the script cache and the function
// libraries. Shared by script_engine.cc and function_libraries.cc; guarded by the engine's mutex.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "lua_internal.h"
#include "tally/commands/scripting.h"

namespace tally {

struct ScriptEngine::State {
  lua::Allocator alloc;
  lua_State* L = nullptr;
  std::unordered_map<std::string, bool> scripts;  // sha -> no-writes; functions in the registry
  struct Library {
    std::string code;
    std::vector<lua::FunctionDecl> functions;
  };
  std::map<std::string, Library> libraries;
  struct Function {
    std::string library;
    bool no_writes = false;
  };
  std::unordered_map<std::string, Function> functions;  // callbacks in the registry
  int runs = 0;

  State();
  ~State();
  // Compiles and caches an EVAL body under `sha`; false with Redis's error text.
  bool Compile(const std::string& sha, std::string_view body, std::string* error);
  // Runs a library's code and installs its functions (function_libraries.cc).
  bool LoadLibrary(std::string_view code, bool replace,
                   FunctionRef<Status(const std::string&)> persist, std::string* name,
                   std::string* error);
  // Removes a library and its functions; false if there is none of that name.
  bool DropLibrary(const std::string& name);
};

}  // namespace tally
