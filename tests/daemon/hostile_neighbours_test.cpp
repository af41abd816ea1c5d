// Issue 26 (hostile neighbours): names that are paths, the daemon's thread budget across
// reloads, and the resource limits the unit file and the code agree on.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <regex>

#include "probes/base/azure_names.h"
#include "reporting/report/remedy.h"
#include "reporting/sinks/dispatcher.h"
#include "reporting/sinks/metrics_server.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSub = "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

// ---- names that are paths ----

TEST(ResourceNames, DotAndDotDotSegmentsNeverPassAsNamesOrIds) {
  EXPECT_FALSE(probes::is_azure_name("."));
  EXPECT_FALSE(probes::is_azure_name(".."));
  EXPECT_FALSE(probes::is_azure_name("web."));
  EXPECT_TRUE(probes::is_azure_name("web.01"));
  const std::string up = std::string(kSub) +
                         "/resourceGroups/rg/providers/Microsoft.Compute/"
                         "virtualMachineScaleSets/../virtualMachines/prod-db";
  EXPECT_FALSE(probes::is_azure_resource_id(up));
  EXPECT_FALSE(probes::is_vm_resource_id(up));
  EXPECT_FALSE(probes::is_vm_resource_id(std::string(kSub) +
                                         "/resourceGroups/../providers/"
                                         "Microsoft.Compute/virtualMachines/a"));
}

TEST(ResourceNames, OnlyVmAndScaleSetInstanceIdsAreVmResourceIds) {
  const std::string rg = std::string(kSub) + "/resourceGroups/rg-web/providers/";
  EXPECT_TRUE(probes::is_vm_resource_id(rg + "Microsoft.Compute/virtualMachines/vm-1"));
  EXPECT_TRUE(probes::is_vm_resource_id(rg + "microsoft.compute/VIRTUALMACHINES/vm-1"));
  EXPECT_TRUE(probes::is_vm_resource_id(
      rg + "Microsoft.Compute/virtualMachineScaleSets/pool/virtualMachines/3"));
  EXPECT_FALSE(probes::is_vm_resource_id(rg + "Microsoft.Storage/storageAccounts/diag01"));
  EXPECT_FALSE(probes::is_vm_resource_id(rg + "Microsoft.Compute/disks/vm-1-os"));
  EXPECT_FALSE(probes::is_vm_resource_id(rg + "Microsoft.Compute/virtualMachineScaleSets/pool"));
  EXPECT_FALSE(probes::is_vm_resource_id(
      rg + "Microsoft.Compute/virtualMachineScaleSets/pool/virtualMachines/x"));
  EXPECT_FALSE(
      probes::is_vm_resource_id(rg + "Microsoft.Compute/virtualMachines/vm-1/extensions/x"));
}

TEST(ResourceNames, AStorageAccountOrDotDotIdNeverReachesAResetCommand) {
  for (const std::string& id :
       {std::string(kSub) + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/diag01",
        std::string(kSub) + "/resourceGroups/rg/providers/Microsoft.Compute/"
                            "virtualMachineScaleSets/../virtualMachines/prod-db"}) {
    latchwatch::Identity identity;
    identity.resource_id = id;
    auto remedy = latchwatch::build_remedy(identity, 4, false, nullptr);
    EXPECT_EQ(remedy.resource_id, "") << id;
    EXPECT_EQ(remedy.resource_kind, "unknown") << id;
    for (const auto* command : {&remedy.az_command, &remedy.az_update_command, &remedy.rest_command,
                                &remedy.powershell_command, &remedy.read_incarnation_command})
      EXPECT_EQ(command->find("prod-db"), std::string::npos) << *command;
  }
  // A scale set named ".." cannot make an instance id either.
  EXPECT_EQ(
      latchwatch::derive_resource_id("6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f", "rg", ".._3", ".."),
      "");
}

// ---- the thread budget across reloads ----

/// A sink whose publish hangs until the test releases it, whatever interrupt() says: the worst
/// receiver (a TCP peer that never answers, inside the sink's own long timeout).
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
};

class HangingSink : public reporting::Sink {
 public:
  HangingSink(std::string name, Gate& gate) : name_(std::move(name)), gate_(gate) {}
  std::string name() const override { return name_; }
  reporting::PublishResult publish(const reporting::CycleReport&) override {
    std::unique_lock<std::mutex> lock(gate_.mutex);
    ++gate_.entered;
    gate_.cv.notify_all();
    gate_.cv.wait(lock, [this] { return gate_.open; });
    return reporting::PublishResult::failure("receiver hung");
  }

 private:
  std::string name_;
  Gate& gate_;
};

std::vector<std::unique_ptr<reporting::Sink>> hanging_sinks(Gate& gate) {
  std::vector<std::unique_ptr<reporting::Sink>> sinks;
  sinks.push_back(std::make_unique<HangingSink>("webhook", gate));
  sinks.push_back(std::make_unique<HangingSink>("alertmanager", gate));
  return sinks;
}

TEST(ThreadBudget, ManyReloadsWhileBothReceiversHangReuseTheSinkThreads) {
  ASSERT_TRUE(reporting::Dispatcher::wait_all_ended(std::chrono::steady_clock::now() + 30s))
      << "threads of an earlier test still ending";
  Gate gate;
  reporting::Dispatcher dispatcher(hanging_sinks(gate));
  reporting::CycleReport cycle;
  dispatcher.submit(cycle);
  {
    std::unique_lock<std::mutex> lock(gate.mutex);
    ASSERT_TRUE(gate.cv.wait_for(lock, 30s, [&] { return gate.entered == 2; }));
  }
  for (int reload = 0; reload < 50; ++reload) {
    dispatcher.replace_sinks(hanging_sinks(gate), std::chrono::steady_clock::now() + 5s, {});
    dispatcher.submit(cycle);
    EXPECT_EQ(reporting::Dispatcher::threads_alive(), 2) << "after reload " << reload;
  }
  auto health = dispatcher.health();
  ASSERT_EQ(health.size(), 2u);
  EXPECT_EQ(health[0].name, "webhook");
  {
    std::lock_guard<std::mutex> lock(gate.mutex);
    gate.open = true;
  }
  gate.cv.notify_all();
  dispatcher.retire(std::chrono::steady_clock::now() + 1s);
  EXPECT_TRUE(reporting::Dispatcher::wait_all_ended(std::chrono::steady_clock::now() + 30s));
}

TEST(ThreadBudget, ASinkPastTheThreadBudgetIsReportedDownAndTheOthersDeliver) {
  ASSERT_TRUE(reporting::Dispatcher::wait_all_ended(std::chrono::steady_clock::now() + 30s));
  Gate gate;
  std::vector<std::unique_ptr<reporting::Sink>> sinks;
  for (int i = 0; i < reporting::kMaxSinkThreads + 2; ++i)
    sinks.push_back(std::make_unique<HangingSink>("sink" + std::to_string(i), gate));
  reporting::Dispatcher dispatcher(std::move(sinks));
  EXPECT_EQ(reporting::Dispatcher::threads_alive(), reporting::kMaxSinkThreads);
  auto health = dispatcher.health();
  ASSERT_EQ(health.size(), static_cast<std::size_t>(reporting::kMaxSinkThreads + 2));
  EXPECT_TRUE(health[0].up);
  EXPECT_FALSE(health.back().up);
  EXPECT_NE(health.back().last_error.find("thread budget"), std::string::npos);
  dispatcher.submit({});  // the ones without a thread take nothing; the others run
  {
    std::unique_lock<std::mutex> lock(gate.mutex);
    ASSERT_TRUE(
        gate.cv.wait_for(lock, 30s, [&] { return gate.entered == reporting::kMaxSinkThreads; }));
    gate.open = true;
  }
  gate.cv.notify_all();
  dispatcher.retire(std::chrono::steady_clock::now() + 1s);
  EXPECT_TRUE(reporting::Dispatcher::wait_all_ended(std::chrono::steady_clock::now() + 30s));
}

// ---- the unit file and the code agree ----

long unit_setting(const std::string& unit, const std::string& key) {
  std::smatch m;
  std::regex line("(^|\\n)" + key + "=([0-9]+)");
  if (!std::regex_search(unit, m, line)) return -1;
  return std::stol(m[2]);
}

TEST(ResourceBudget, TheServiceUnitsLimitsHoldTheThreadsAndDescriptorsTheCodeUses) {
  for (const char* name : {"latchwatch.service", "latchwatch-check.service"}) {
    auto unit =
        testing::read_file(std::string(LATCHWATCH_SOURCE_DIR) + "/packaging/systemd/" + name);
    long tasks = unit_setting(unit, "TasksMax");
    long files = unit_setting(unit, "LimitNOFILE");
    EXPECT_GE(tasks, reporting::kMaxSinkThreads + reporting::kDaemonOtherThreads +
                         reporting::kTransientThreads)
        << name;
    // The metrics connections at their cap, and room for a cycle, the sinks and the state files.
    EXPECT_GE(files, static_cast<long>(reporting::kMetricsMaxConnections) + 256) << name;
  }
}

}  // namespace
}  // namespace latchwatch
