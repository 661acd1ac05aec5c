#pragma once
#include <string>

// "Hello, NAME!" — or "Hello, world!" for an empty name.
std::string Greeting(const std::string& name);
