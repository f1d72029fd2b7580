#pragma once

// valijson matches JSON Schema patterns with std::regex, whose libstdc++
// matcher recurses once per character a quantifier repeats: a string of a
// few hundred kilobytes (a rule's params may hold one) overflows the stack
// and kills the process. These explicit specializations replace the three
// places valijson uses it ("pattern", "format" dates and times,
// "patternProperties"), for the one adapter Triggerfish validates with, by
// RE2, which matches in linear time without recursion. Include this after
// the valijson headers and before the first use of valijson::Validator, in
// one translation unit only (server/plugins/json_schema.cc).
//
// Patterns are compiled by RE2: its syntax covers JSON Schema's ECMA 262
// patterns except backreferences and lookaround, which a schema is refused
// for when it is compiled (JsonSchema::Compile).

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <re2/re2.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/validation_visitor.hpp>

namespace triggerfish::server::plugins {

// `pattern` compiled by RE2 (UTF-8), kept for the life of the process: the
// patterns are those of the loaded plugins' schemas. Null if RE2 cannot
// compile it.
inline const RE2* SchemaPattern(const std::string& pattern) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::unique_ptr<RE2>> compiled;
  std::lock_guard lock(mu);
  auto [it, added] = compiled.try_emplace(pattern);
  if (added) {
    RE2::Options options;
    options.set_log_errors(false);
    it->second = std::make_unique<RE2>(pattern, options);
  }
  return it->second->ok() ? it->second.get() : nullptr;
}

}  // namespace triggerfish::server::plugins

namespace valijson {

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(
    const PatternConstraint& constraint) {
  if ((m_strictTypes && !m_target.isString()) || !m_target.maybeString()) return true;
  const std::string pattern(constraint.getPattern<std::string::allocator_type>());
  const RE2* re = triggerfish::server::plugins::SchemaPattern(pattern);
  if (re == nullptr || !RE2::PartialMatch(m_target.asString(), *re)) {
    if (m_results) {
      m_results->pushError(m_context, "Failed to match regex specified by 'pattern' constraint.");
    }
    return false;
  }
  return true;
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(
    const FormatConstraint& constraint) {
  // The formats valijson checks, with its expressions.
  static const RE2 kDate("([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])");
  static const RE2 kTime(
      "([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\\.[0-9]+)?(([Zz])|([\\+|\\-]([01][0-9]|"
      "2[0-3]):[0-5][0-9]))");
  static const RE2 kDateTime(
      "([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-"
      "5][0-9]|60)(\\.[0-9]+)?(([Zz])|([\\+|\\-]([01][0-9]|2[0-3]):[0-5][0-9]))");
  const std::string s = m_target.asString();
  const std::string format = constraint.getFormat();
  const char* failure = nullptr;
  if (format == "date" || format == "date-time") {
    const bool date = format == "date";
    int month = 0;
    int day = 0;
    if (RE2::FullMatch(s, date ? kDate : kDateTime, nullptr, &month, &day)) {
      return validate_date_range(month, day);
    }
    failure = date ? "String should be a valid date" : "String should be a valid date-time";
  } else if (format == "time") {
    if (RE2::FullMatch(s, kTime)) return true;
    failure = "String should be a valid time";
  } else {
    return true;
  }
  if (m_results) m_results->pushError(m_context, failure);
  return false;
}

template <>
template <typename StringType>
bool ValidationVisitor<adapters::NlohmannJsonAdapter>::ValidatePatternPropertySubschemas::
operator()(const StringType& patternProperty, const Subschema* subschema) const {
  const std::string patternPropertyStr(patternProperty.c_str());
  const RE2* re = triggerfish::server::plugins::SchemaPattern(patternPropertyStr);
  bool matchFound = false;
  for (const typename adapters::NlohmannJsonAdapter::ObjectMember m : m_object) {
    if (re == nullptr || !RE2::PartialMatch(m.first, *re)) continue;
    matchFound = true;
    if (m_propertiesMatched) m_propertiesMatched->insert(m.first);
    std::vector<std::string> newContext = m_context;
    newContext.push_back("[" + m.first + "]");
    ValidationVisitor validator(m.second, newContext, m_strictTypes, m_results, m_regexesCache);
    if (validator.validateSchema(*subschema)) continue;
    if (m_results) {
      m_results->pushError(m_context,
                           "Failed to validate against schema associated with pattern '" +
                               patternPropertyStr + "'.");
    }
    if (m_validated) *m_validated = false;
    if (!m_continueOnFailure) return false;
  }
  if (!matchFound && !m_continueIfUnmatched) return false;
  return m_continueOnSuccess;
}

}  // namespace valijson
