// dr/standby_spec: the declaration of a DR standby, written ahead of time on the DR side so that a
// recovery is never a YAML scramble: which repository and cluster it follows, the cluster it
// creates on activation, how fresh the source must stay and how activation behaves. The file may
// declare several standbys:
//
//   standbys:
//   - name: shop-dr
//     source:
//       repository: /srv/repo | s3:...   (read access, and write to its own cursor object)
//       probe: 10.0.0.5:5432                (optional: the source primary, checked by activate)
//       probeCredentials: {user: hs_probe, passwordFile: /etc/hasteward/probe-password}
//                                           (optional: the probe writes as this account)
//       passwordFile: /etc/hasteward/source-password
//       s3CredentialsFile: /etc/hasteward/aws-credentials  (optional; for an s3: repository)
//       cluster: {engine: cnpg, namespace: pt, name: shop}
//     template: {engine: cnpg, instances: 1, platform: local, namespace: dr, name: shop}
//     freshness: {discoveryInterval: 5m, verifySchedule: "0 4 * * *", maxStaleness: 48h,
//                 suspend: false}
//     activation: {pointInTime: 2026-11-22T10:00:00Z, acceptUnverified: false,
//                  restoreTimeout: 2h}
//     cursor: {ttl: 60m, write: true}                     (the retention floor cursor)
//     stateFile: /var/lib/hasteward/standby-shop-dr.json   (optional)
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::dr {

// A source's secrets held in memory instead of files: a StandbyCluster resource's Secrets
// (operator/standby/standby_crd_specs.h). The values are secrets: never log or persist them.
struct SourceSecrets {
  std::string password;
  std::map<std::string, std::string> env;  // AWS_* keys for an s3: repository
};

struct SourceSpec {
  std::string repository;     // location, as for --backups-path
  std::string password_file;  // never the password itself: the file is read when opening
  // An AWS credentials INI file ("" = the environment's keys): the standby's own S3 access, and
  // what a restored PostgreSQL server's restore_command reads (it inherits no credentials).
  std::string s3_credentials_file;
  platform::EngineKind engine = platform::EngineKind::kPostgres;
  std::string ns = "default";
  std::string name;
  // "host:port" of the source's primary, when the DR site can reach it at all. Activation
  // refuses while it accepts connections: two writable clusters is how fail-backs lost data.
  // "" = never probed (the source site is unreachable by design).
  std::string probe;
  // The account the probe writes with (source.probeCredentials: user and passwordFile). Set: the
  // source counts as writable only when a write as this account succeeds there (a fenced,
  // read-only server answers TCP but refuses it; engine/write_probe.h). Empty user: none declared,
  // and a TCP answer at `probe` counts as writable.
  platform::Credentials probe_credentials;
  // Set: the password and S3 credentials come from here, and password_file and
  // s3_credentials_file are empty (a StandbyCluster resource's Secrets).
  std::shared_ptr<const SourceSecrets> secrets;
};

// The cluster activation restores into (it must exist: `sandbox create`, the inventory).
struct ClusterTemplate {
  platform::EngineKind engine = platform::EngineKind::kPostgres;
  int instances = 1;
  std::string platform;  // "" = local (platform/registry.h)
  std::string ns = "default";
  std::string name;
};

struct FreshnessSpec {
  std::chrono::seconds discovery_interval{std::chrono::minutes(5)};
  std::string verify_schedule;  // five-field cron; "" = no scheduled verification
  std::chrono::seconds max_staleness{std::chrono::hours(48)};
  bool suspend = false;
};

struct ActivationSpec {
  std::optional<std::string> point_in_time;  // RFC 3339; none = the last archived position
  bool accept_unverified = false;
  std::chrono::seconds restore_timeout{std::chrono::hours(2)};
};

// The retention floor cursor the standby keeps in its source's repository (docs/standby.md).
struct CursorSpec {
  std::chrono::seconds ttl{std::chrono::minutes(60)};  // prune honours it until written + ttl
  bool write = true;  // false: read-only credentials; the source's prune is not held back
};

struct StandbySpec {
  std::string name;
  SourceSpec source;
  ClusterTemplate cluster_template;
  FreshnessSpec freshness;
  ActivationSpec activation;
  CursorSpec cursor;
  std::string state_file;  // "" = <state dir>/standby-<name>.json

  platform::Cluster SourceCluster() const;
};

// Parses every standby of the YAML text. kUsage naming `source`, the standby and the field for an
// unknown key, a missing name, repository, password file or cluster, a bad engine, duration,
// count, schedule or time, or a name declared twice.
core::Result<std::vector<StandbySpec>> ParseStandbySpecs(const std::string& text,
                                                         const std::string& source);

// Parses one standby given as a mapping (YAML or JSON text: a StandbyCluster resource's spec with
// its name, operator/standby/standby_crd_specs.h), with the same checks as a `standbys:` entry.
// kUsage naming `where` and the field.
core::Result<StandbySpec> ParseStandbyDeclaration(const std::string& text,
                                                  const std::string& where);

// Reads `path` and returns the standby called `name`; kUsage when the file cannot be read or
// declares no such standby (the message lists the names it has).
core::Result<StandbySpec> LoadStandbySpec(const std::string& path, const std::string& name);

// Where the standby's conditions persist: its state_file, else <state dir>/standby-<name>.json.
std::string StandbyStateFile(const StandbySpec& spec);

// "30s", "5m", "48h", "1h30m", "2d" or bare seconds ("90") -> seconds; kUsage naming `field`
// otherwise and for zero or negative values.
core::Result<std::chrono::seconds> ParseSpecDuration(const std::string& field,
                                                     const std::string& text);

}  // namespace hasteward::dr
