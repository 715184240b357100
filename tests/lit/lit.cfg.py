# lit configuration for tilec: golden tests of Tile IR, passes and diagnostics.
# Parameters (set by tests/CMakeLists.txt): tilec, llvm_tools_dir, examples_dir.
import os
import lit.formats

config.name = "tilec"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".tile", ".tir"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)

params = lit_config.params
tilec = params.get("tilec")
if not tilec:
    lit_config.fatal("pass --param tilec=PATH/TO/tilec")
tools = params.get("llvm_tools_dir", "/usr/lib/llvm-19/bin")
config.environment["PATH"] = os.pathsep.join([tools, config.environment.get("PATH", "/usr/bin:/bin")])
config.substitutions.append(("%tilec", os.path.abspath(tilec)))
config.substitutions.append(("%examples", params.get("examples_dir", "")))
