#include "engine/postgres/postgres_engine.h"

#include <algorithm>

#include "core/log.h"
#include "engine/client_tools.h"
#include "engine/instance_handles.h"
#include "engine/postgres/pg_connection.h"

namespace hasteward::engine::postgres {

namespace {

constexpr size_t kMaxFilteredLine = 1 << 20;

struct Probe {
  const platform::Instance* instance = nullptr;
  core::Status status;  // connect or query failure
  bool in_recovery = false;
};

std::vector<Probe> ProbeAll(InstanceHandles& handles) {
  std::vector<Probe> probes;
  for (const auto& inst : handles.cluster().instances) {
    Probe p;
    p.instance = &inst;
    auto handle = handles.Open(inst);
    if (!handle.ok()) {
      p.status = handle.TakeStatus();
      probes.push_back(std::move(p));
      continue;
    }
    auto conn = PgConnection::ConnectInstance(**handle);
    if (!conn.ok()) {
      p.status = conn.TakeStatus();
    } else {
      auto v = (*conn)->QueryValue("SELECT pg_is_in_recovery()");
      if (!v.ok()) {
        p.status = v.TakeStatus();
      } else {
        p.in_recovery = v->value_or("t") == "t";
      }
    }
    probes.push_back(std::move(p));
  }
  return probes;
}

std::string Names(const std::vector<const Probe*>& probes) {
  std::string s;
  for (const auto* p : probes) {
    s += (s.empty() ? "'" : ", '") + p->instance->name + "'";
  }
  return s;
}

// The single writable instance, or why there is none.
core::Result<const platform::Instance*> FindPrimary(const platform::Cluster& cluster,
                                                    const std::vector<Probe>& probes,
                                                    std::string* skipped) {
  if (cluster.instances.empty()) {
    return core::NotFound("cluster '" + cluster.ns + "/" + cluster.name + "' has no instances",
                          "add its instances to the inventory");
  }
  std::vector<const Probe*> primaries, failed;
  bool all_auth = true;
  for (const auto& p : probes) {
    if (!p.status.ok()) {
      failed.push_back(&p);
      all_auth = all_auth && p.status.code() == core::ErrorCode::kAuthFailed;
      *skipped += (skipped->empty() ? "" : "; ") + p.instance->name + ": " + p.status.message();
    } else if (!p.in_recovery) {
      primaries.push_back(&p);
    } else {
      *skipped += (skipped->empty() ? "" : "; ") + p.instance->name + ": standby";
    }
  }
  if (primaries.size() > 1) {
    return core::Status(
        core::ErrorCode::kSplitBrain,
        "cluster '" + cluster.name + "' has more than one writable primary: " + Names(primaries),
        "run 'hasteward triage' and repair the split-brain before backup or restore");
  }
  if (primaries.size() == 1) {
    return primaries[0]->instance;
  }
  if (!failed.empty() && all_auth) {
    return failed[0]->status;
  }
  if (!failed.empty()) {
    core::Status s(core::ErrorCode::kUnreachable,
                   "no primary of cluster '" + cluster.name + "' is reachable: " + *skipped,
                   "start the primary (or fail over) and retry");
    s.SetRetryable();
    return s;
  }
  return core::NotFound(
      "cluster '" + cluster.name + "' has no primary: every instance is a standby",
      "promote one standby (or run 'hasteward repair') and retry");
}

bool IsBareIdent(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string PgHost(const platform::Instance& inst) {
  return inst.host.empty() ? inst.socket : inst.host;
}

std::vector<std::string> ConnArgs(const platform::Cluster& cluster,
                                  const platform::Instance& inst) {
  return {"-h", PgHost(inst),    "-p", std::to_string(inst.port > 0 ? inst.port : 5432),
          "-U", PgUser(cluster), "-w"};
}

// ToolSecrets with a PGPASSFILE when the cluster has a password, and the environment for tools.
core::Result<ToolSecrets> PgSecrets(const platform::Cluster& cluster,
                                    core::SubprocessOptions* options) {
  ToolSecrets secrets;
  HS_ASSIGN_OR_RETURN(std::string password, cluster.credentials.password.Resolve());
  options->env_unset = {"PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGDATABASE"};
  options->env_set["PGCONNECT_TIMEOUT"] = "5";
  if (!password.empty()) {
    HS_ASSIGN_OR_RETURN(std::string path,
                        secrets.Add("pgpass", PgPassLine(PgUser(cluster), password)));
    options->env_set["PGPASSFILE"] = path;
  } else {
    options->env_set["PGPASSFILE"] = "/dev/null";
  }
  return secrets;
}

core::Result<std::vector<std::string>> UserDatabases(PgConnection& conn) {
  HS_ASSIGN_OR_RETURN(SqlRows dbs,
                      conn.Query("SELECT datname FROM pg_database WHERE datname NOT IN "
                                 "('postgres', 'template0', 'template1') ORDER BY datname"));
  std::vector<std::string> names;
  for (const auto& row : dbs.rows) {
    names.push_back(row[0].value_or(""));
  }
  HS_ASSIGN_OR_RETURN(auto tables,
                      conn.QueryValue("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                                      "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND "
                                      "n.nspname NOT IN ('pg_catalog', 'information_schema') AND "
                                      "n.nspname NOT LIKE 'pg_toast%'"));
  if (tables.value_or("0") != "0") {
    names.push_back("postgres (" + *tables + " user tables)");
  }
  return names;
}

}  // namespace

std::string QuoteIdentForDump(const std::string& role) {
  if (IsBareIdent(role)) {
    return role;
  }
  std::string out = "\"";
  for (char c : role) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

core::Result<BackupPlan> PostgresEngine::PlanBackup(platform::Platform& platform,
                                                    const platform::Cluster& cluster) {
  InstanceHandles handles(platform, cluster);
  std::vector<Probe> probes = ProbeAll(handles);
  std::string skipped;
  HS_ASSIGN_OR_RETURN(const platform::Instance* primary, FindPrimary(cluster, probes, &skipped));
  BackupPlan plan;
  plan.source = *primary;
  plan.role = InstanceRole::kPrimary;
  plan.reason = "primary '" + primary->name + "' (pg_is_in_recovery() = false)";
  plan.virtual_filename = DumpFileName();
  if (!skipped.empty()) {
    plan.metadata["skipped"] = skipped;
  }
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * primary_handle, handles.Open(*primary));
  auto conn = PgConnection::ConnectInstance(*primary_handle);
  if (conn.ok()) {
    auto lsn = (*conn)->QueryValue("SELECT pg_current_wal_lsn()::text");
    if (lsn.ok() && lsn->has_value()) {
      plan.metadata["wal_lsn"] = **lsn;
    }
    auto version = (*conn)->QueryValue("SHOW server_version");
    if (version.ok() && version->has_value()) {
      plan.metadata["server_version"] = **version;
    }
  }
  return plan;
}

core::Result<std::unique_ptr<DumpStream>> PostgresEngine::OpenDump(platform::Platform& /*platform*/,
                                                                   const platform::Cluster& cluster,
                                                                   const BackupPlan& plan) {
  core::SubprocessOptions options;
  HS_ASSIGN_OR_RETURN(ToolSecrets secrets, PgSecrets(cluster, &options));
  options.argv = {ToolPath(plan.source, "pg_dumpall")};
  for (auto& a : ConnArgs(cluster, plan.source)) {
    options.argv.push_back(std::move(a));
  }
  for (const char* a : {"-l", "postgres", "--clean", "--if-exists"}) {
    options.argv.emplace_back(a);
  }
  core::LogInfo("starting dump",
                {{"instance", plan.source.name}, {"command", core::JoinArgv(options.argv)}});
  HS_ASSIGN_OR_RETURN(auto stream, ToolDumpStream::Start(std::move(options), std::move(secrets),
                                                         kPgDumpallEndMarker));
  return std::unique_ptr<DumpStream>(std::move(stream));
}

core::Result<RestorePlan> PostgresEngine::PlanRestore(platform::Platform& platform,
                                                      const platform::Cluster& cluster,
                                                      const RestoreOptions& options) {
  InstanceHandles handles(platform, cluster);
  std::vector<Probe> probes = ProbeAll(handles);
  std::string skipped;
  auto primary = FindPrimary(cluster, probes, &skipped);
  if (!primary.ok()) {
    return primary.TakeStatus().Wrap("restore into cluster '" + cluster.name + "'");
  }
  RestorePlan plan;
  plan.target = **primary;
  plan.reason = "primary '" + plan.target.name + "'; standbys follow by streaming replication";
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * target, handles.Open(plan.target));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*target));
  HS_ASSIGN_OR_RETURN(plan.user_databases, UserDatabases(*conn));
  if (!plan.user_databases.empty() && !options.confirm_overwrite) {
    std::string list;
    for (const auto& d : plan.user_databases) {
      list += (list.empty() ? "'" : ", '") + d + "'";
    }
    return core::Status(core::ErrorCode::kConfirmationRequired,
                        "restore into cluster '" + cluster.name +
                            "' would drop and recreate the "
                            "databases in the dump; its primary '" +
                            plan.target.name + "' holds user data: " + list,
                        "check the target, then confirm the overwrite (--yes) to proceed");
  }
  return plan;
}

core::Result<std::unique_ptr<core::ByteSink>> PostgresEngine::OpenRestore(
    platform::Platform& platform, const platform::Cluster& cluster, const RestorePlan& plan) {
  {
    // Sessions in the databases the dump drops would make DROP DATABASE fail.
    HS_ASSIGN_OR_RETURN(auto target, platform.OpenInstance(cluster, plan.target));
    HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*target));
    HS_TRY(
        conn->Execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = "
                      "'client backend' AND pid <> pg_backend_pid() AND datname IS NOT NULL"));
  }
  core::SubprocessOptions sp;
  HS_ASSIGN_OR_RETURN(ToolSecrets secrets, PgSecrets(cluster, &sp));
  sp.argv = {ToolPath(plan.target, "psql")};
  for (auto& a : ConnArgs(cluster, plan.target)) {
    sp.argv.push_back(std::move(a));
  }
  for (const char* a : {"-d", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"}) {
    sp.argv.emplace_back(a);
  }
  core::LogInfo("starting restore", {{"instance", plan.target.name}, {"reason", plan.reason}});
  HS_ASSIGN_OR_RETURN(auto sink, ToolRestoreSink::Start(std::move(sp), std::move(secrets),
                                                        DescribeInstance(plan.target),
                                                        PsqlEnd(kPgDumpallEndMarker)));
  return std::unique_ptr<core::ByteSink>(
      std::make_unique<RoleFilterSink>(std::move(sink), PgUser(cluster)));
}

RoleFilterSink::RoleFilterSink(std::unique_ptr<core::ByteSink> inner, const std::string& role)
    : inner_(std::move(inner)) {
  std::vector<std::string> forms = {role};
  if (QuoteIdentForDump(role) != role) {
    forms.push_back(QuoteIdentForDump(role));
  } else {
    forms.push_back("\"" + role + "\"");
  }
  for (const auto& f : forms) {
    skip_lines_.push_back("DROP ROLE IF EXISTS " + f + ";");
    skip_lines_.push_back("DROP ROLE " + f + ";");
    skip_lines_.push_back("CREATE ROLE " + f + ";");
    own_alter_prefixes_.push_back("ALTER ROLE " + f + " WITH");
  }
}

core::Status RoleFilterSink::EmitLine(std::string_view line) {
  std::string_view body = line;
  if (!body.empty() && body.back() == '\n') {
    body.remove_suffix(1);
  }
  if (body.rfind("\\connect", 0) == 0) {
    filtering_ = false;
  } else if (std::find(skip_lines_.begin(), skip_lines_.end(), body) != skip_lines_.end()) {
    return core::Status::Ok();
  }
  if (filtering_ && body.rfind("DROP ROLE ", 0) == 0 && body.back() == ';') {
    // An existing role is kept, never dropped: an operator's own roles hold grants it made and
    // replication depends on (CloudNativePG's streaming_replica: its DROP fails on them, found on
    // the real operator, issue 51); the dump's CREATE (below, only when missing) and ALTER ROLE
    // then give the role the dumped attributes.
    return core::Status::Ok();
  }
  if (filtering_ && body.rfind("CREATE ROLE ", 0) == 0 && body.back() == ';') {
    const std::string create(body);
    return inner_->Write(core::AsBytes("DO $hasteward$ BEGIN " + create +
                                       " EXCEPTION WHEN duplicate_object THEN NULL; END "
                                       "$hasteward$;\n"));
  }
  // The restoring role keeps its own password: the dump's (the source cluster's) would make the
  // client's next \connect — and every later HASteward connection — fail authentication.
  auto password = body.find(" PASSWORD '");
  if (filtering_ && password != std::string_view::npos) {
    for (const auto& prefix : own_alter_prefixes_) {
      if (body.rfind(prefix, 0) == 0)
        return inner_->Write(core::AsBytes(std::string(body.substr(0, password)) + ";\n"));
    }
  }
  return inner_->Write(core::ByteView(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
}

core::Status RoleFilterSink::Write(core::ByteView data) {
  if (!filtering_) {
    return inner_->Write(data);
  }
  std::string_view in(reinterpret_cast<const char*>(data.data()), data.size());
  while (filtering_ && !in.empty()) {
    size_t nl = in.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(in);
      if (pending_.size() > kMaxFilteredLine) {  // not a roles section: stop looking
        filtering_ = false;
        std::string flush = std::move(pending_);
        pending_.clear();
        return inner_->Write(core::AsBytes(flush));
      }
      return core::Status::Ok();
    }
    pending_.append(in.substr(0, nl + 1));
    in.remove_prefix(nl + 1);
    std::string line = std::move(pending_);
    pending_.clear();
    HS_TRY(EmitLine(line));
  }
  if (!in.empty()) {
    return inner_->Write(core::ByteView(reinterpret_cast<const uint8_t*>(in.data()), in.size()));
  }
  return core::Status::Ok();
}

core::Status RoleFilterSink::Close() {
  if (!pending_.empty()) {
    std::string line = std::move(pending_);
    pending_.clear();
    HS_TRY(EmitLine(line));
  }
  return inner_->Close();
}

}  // namespace hasteward::engine::postgres
