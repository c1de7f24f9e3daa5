#include <iostream>

#include "engine/build_info.hpp"

int main() {
  std::cout << specmill::build_info();
  return 0;
}
