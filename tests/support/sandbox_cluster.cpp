#include "support/sandbox_cluster.h"

#include <atomic>

#include <sys/stat.h>

#include "core/fd.h"
#include "core/subprocess.h"
#include "platform/sandbox.h"

namespace hasteward::testing {

namespace {

std::string DefaultName(platform::EngineKind engine) {
  static std::atomic<int> counter{0};
  std::string base = engine == platform::EngineKind::kPostgres  ? "pg"
                     : engine == platform::EngineKind::kMariadb ? "maria"
                                                                : "galera";
  return base + std::to_string(counter++);
}

}  // namespace

core::Result<std::unique_ptr<SandboxCluster>> SandboxCluster::Create(const Options& options) {
  HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create("hasteward-sandbox-"));
  // The servers run as postgres / mysql: they must be able to traverse the temp dir.
  if (::chmod(dir.path().c_str(), 0755) != 0) {
    return core::Internal("chmod '" + dir.path() + "' failed");
  }
  std::string state = dir.path() + "/state";
  std::string inventory = dir.path() + "/inventory.yaml";
  std::unique_ptr<SandboxCluster> sc(new SandboxCluster(std::move(dir), state, inventory));
  platform::sandbox::SandboxSpec spec;
  spec.name = options.name.empty() ? DefaultName(options.engine) : options.name;
  spec.ns = options.ns;
  spec.engine = options.engine;
  spec.instances = options.instances;
  spec.replication_mode = options.replication_mode;
  spec.state_dir = state;
  spec.inventory_path = inventory;
  HS_ASSIGN_OR_RETURN(sc->cluster_, platform::sandbox::Up(spec));
  sc->up_ = true;
  return sc;
}

SandboxCluster::~SandboxCluster() {
  (void)Down();
}

core::Status SandboxCluster::Down() {
  if (!up_) {
    return core::Status::Ok();
  }
  up_ = false;
  return platform::sandbox::Down(inventory_path_, cluster_.ns, cluster_.name);
}

const platform::Instance& SandboxCluster::instance(int ordinal) const {
  return *cluster_.FindInstance(ordinal);
}

std::string SandboxCluster::LogTail(int ordinal, size_t lines) const {
  const std::string& path = instance(ordinal).log_file;
  auto text = core::ReadFileToString(path);
  if (!text.ok())
    return "(no log at '" + path + "': " + text.status().message() + ")";
  // Back from the end over `lines` line breaks (the last one ends the final line).
  size_t start = text->size();
  for (size_t breaks = 0; start > 0; --start) {
    if ((*text)[start - 1] == '\n' && ++breaks > lines)
      break;
  }
  return "--- last lines of '" + path + "'\n" + text->substr(start);
}

std::string SandboxCluster::password() const {
  auto pw = cluster_.credentials.password.Resolve();
  return pw.ok() ? *pw : std::string();
}

namespace {
std::string PasswordOf(const platform::Cluster& c) {
  auto pw = c.credentials.password.Resolve();
  return pw.ok() ? *pw : std::string();
}
}  // namespace

core::Result<std::string> SandboxCluster::Sql(int ordinal, const std::string& sql,
                                              const std::string& database) const {
  return RunClusterSql(cluster_, ordinal, sql, database);
}

core::Result<std::string> RunClusterSql(const platform::Cluster& cluster, int ordinal,
                                        const std::string& sql, const std::string& database) {
  const platform::Instance* i = cluster.FindInstance(ordinal);
  if (i == nullptr) {
    return core::NotFound("no instance " + std::to_string(ordinal));
  }
  core::SubprocessOptions o;
  if (cluster.engine == platform::EngineKind::kPostgres) {
    o.argv = {"psql",
              "-X",
              "-q",
              "-A",
              "-t",
              "-v",
              "ON_ERROR_STOP=1",
              "-h",
              i->host,
              "-p",
              std::to_string(i->port),
              "-U",
              cluster.credentials.user,
              "-d",
              database.empty() ? "postgres" : database};
    o.env_set["PGPASSWORD"] = PasswordOf(cluster);
  } else {
    o.argv = {"mariadb", "--no-defaults",          "-h", i->host, "-P", std::to_string(i->port),
              "-u",      cluster.credentials.user, "-N", "-B"};
    if (!database.empty())
      o.argv.push_back(database);
    o.env_set["MYSQL_PWD"] = PasswordOf(cluster);
  }
  return core::RunChecked(o, sql);
}

}  // namespace hasteward::testing
