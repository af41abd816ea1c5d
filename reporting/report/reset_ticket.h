#pragma once
/// The reset ticket, version 1 (issue 23; docs/formats/reset-ticket.schema.json): a small,
/// versioned claim that this VM's key needs an owner-side keyIncarnationId reset. One builder for
/// every payload that carries it (the report JSON, the webhook and CloudEvents body, the
/// Alertmanager annotation, `plan resets --json`). Every field is checked again against the
/// schema's character classes here; a field that fails, or is unknown, is null.

#include <nlohmann/json.hpp>
#include <string>

#include "reporting/report/report.h"

namespace latchwatch {

constexpr int kResetTicketVersion = 1;

/// The ticket for `report`, or null JSON when the report's verdict needs no key reset (no remedy).
/// `delivery_id`: the webhook delivery uuid, or empty (null in the ticket).
nlohmann::json reset_ticket(const Report& report, const std::string& delivery_id = {});

/// The ticket from a remedy and its parts (plan resets: one per machine).
nlohmann::json reset_ticket(const Remedy& remedy, const std::string& verdict_code,
                            const std::string& vm_id, const std::string& smbios_uuid,
                            const std::string& host, const std::string& report_time,
                            const std::string& delivery_id = {});

/// Whether `resource_id` matches the ticket schema's resource_id pattern (a VM or a Uniform
/// instance id, no '.' or '..' segment).
bool is_ticket_resource_id(const std::string& resource_id);

}  // namespace latchwatch
