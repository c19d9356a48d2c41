// The groups of checks; each file adds its own to the suite, in running order.
#pragma once

#include <vector>

#include "check/tier_check.hpp"

namespace mlps::core::check {

void addSchemaChecks(std::vector<CheckDef> &checks);      // checks_schema.cpp
void addLifecycleChecks(std::vector<CheckDef> &checks);   // checks_lifecycle.cpp
void addQueueChecks(std::vector<CheckDef> &checks);       // checks_queue.cpp
void addDataChecks(std::vector<CheckDef> &checks);        // checks_data.cpp
void addCapacityChecks(std::vector<CheckDef> &checks);    // checks_capacity.cpp
void addConcurrencyChecks(std::vector<CheckDef> &checks); // checks_concurrency.cpp

} // namespace mlps::core::check
