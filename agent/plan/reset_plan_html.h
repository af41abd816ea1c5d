#pragma once
/// The reset plan as one self-contained HTML page (`plan resets --html FILE`): the resets per
/// subscription and scale set, the machines to identify, conflicts, the skipped machines with
/// their reasons, and every command in a block that selects whole on one click.
///
/// Every value is escaped as HTML text (values come from reports and consoles of VMs that may
/// be compromised); the page carries a Content-Security-Policy that allows no script, no
/// network and no external asset, so even a missed escape could not run or fetch anything.

#include <string>

#include "agent/plan/reset_plan.h"
#include "agent/plan/resource_graph.h"

namespace latchwatch::plan {

/// `inventory`/`use` may be null (no Resource Graph export given).
std::string reset_plan_html(const ResetPlan& plan, const Inventory* inventory,
                            const InventoryUse* use);

/// & < > " ' as character references: safe in text and in quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace latchwatch::plan
