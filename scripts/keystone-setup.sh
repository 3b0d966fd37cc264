#!/usr/bin/env bash
# keystone-setup.sh -- a real Keystone for Nucleon on one machine, as root.
#
#   scripts/keystone-setup.sh [NETWORK_URL]      (default http://127.0.0.1:9696)
#
# Installs Debian's `keystone` package and serves Keystone's public API
# under uwsgi on http://127.0.0.1:5000/v3 (SQLite database, fernet tokens),
# with everything of its own under /var/lib/nucleon-keystone: the
# configuration, database, keys, log and pid file. Then it creates what the
# "Install and configure" guides create:
#
#   admin/admin      project admin, role admin (keystone-manage bootstrap)
#   neutron/neutron  project service, roles admin and service
#   demo/demo        project demo, role member
#   alt_demo/alt_demo project alt_demo, role member
#   reader/reader    project demo, role reader
#   the `network` service, public/internal/admin endpoints at NETWORK_URL
#
# and writes the credentials to /var/lib/nucleon-keystone/env (KEY=value)
# and admin-openrc, demo-openrc, alt_demo-openrc, reader-openrc there.
#
# Idempotent: a second run checks each step and changes only what is wrong.
# If something else already answers on 127.0.0.1:5000 (a Keystone this
# script did not start), it is used as it is, provided admin/admin can log
# in. Offline except for the Debian mirror (only when a package is missing).
# scripts/keystone-down.sh stops the Keystone this script started.
#
# Environment: NUCLEON_KEYSTONE_DIR (state directory), KEYSTONE_HOST,
# KEYSTONE_PORT.
set -euo pipefail
shopt -s inherit_errexit

NETWORK_URL=${1:-http://127.0.0.1:9696}
case $NETWORK_URL in
  -h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  http://* | https://*) NETWORK_URL=${NETWORK_URL%/} ;;
  *) echo "keystone-setup: NETWORK_URL must be an http(s) URL, not '$NETWORK_URL'" >&2; exit 2 ;;
esac

STATE=${NUCLEON_KEYSTONE_DIR:-/var/lib/nucleon-keystone}
KEYSTONE_HOST=${KEYSTONE_HOST:-127.0.0.1}
KEYSTONE_PORT=${KEYSTONE_PORT:-5000}
KEYSTONE_URL=http://$KEYSTONE_HOST:$KEYSTONE_PORT/v3
REGION=RegionOne
ADMIN_PASSWORD=admin

# Debian's OpenStack runs on /usr/bin/python3: never a pyenv or venv shim.
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8 LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
# A caller's OS_* settings must not leak into the calls below.
while read -r name; do unset "$name"; done < <(env | awk -F= '/^OS_/ {print $1}')

started=$SECONDS
say() { printf '==> [%3ds] %s\n' "$((SECONDS - started))" "$*"; }
note() { printf '    %s\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }
die() { printf 'keystone-setup: error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run me as root (I install packages and start Keystone as the keystone user)"

# --- 1. packages -------------------------------------------------------------
# keystone brings uwsgi-plugin-python3 (and uwsgi-core) and
# python3-openstackclient; curl and jq drive the API below.
packages=(keystone uwsgi-core uwsgi-plugin-python3 python3-openstackclient curl jq)
say "Debian packages: ${packages[*]}"
missing=()
for pkg in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    note "$pkg: installed"
  else
    note "$pkg: missing"
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} > 0)); then
  run apt-get update -qq
  run apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [[ " ${missing[*]} " == *" keystone "* ]]; then
    # The package starts its own service (uwsgi on *:5000, 8 processes,
    # /etc/keystone/keystone.conf) where policy-rc.d allows it, and enables
    # it at boot. This script runs its own instance instead.
    say "disabling the keystone service that the package installed"
    if [[ -d /run/systemd/system ]]; then
      run systemctl disable --now keystone.service || true
    else
      run update-rc.d keystone disable >/dev/null 2>&1 || true
      if /etc/init.d/keystone status >/dev/null 2>&1; then run /etc/init.d/keystone stop || true; fi
    fi
  fi
fi

# --- 2. our Keystone -----------------------------------------------------------
pidfile=$STATE/keystone.pid
conf=$STATE/keystone.conf
uwsgi_ini=$STATE/uwsgi.ini
log_file=$STATE/keystone.log

keystone_answers() { curl -sf -m 3 -o /dev/null "$KEYSTONE_URL"; }
ours_running() {
  local pid
  [[ -s $pidfile ]] && pid=$(<"$pidfile") && [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "uwsgi.*$uwsgi_ini"
}
stop_ours() {
  local pid
  pid=$(<"$pidfile")
  note "stopping Keystone (uwsgi master, pid $pid)"
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  die "Keystone (pid $pid) did not stop within 10 s"
}
as_keystone() { setpriv --reuid=keystone --regid=keystone --init-groups "$@"; }
keystone_manage() { as_keystone keystone-manage --config-file "$conf" "$@" >>"$STATE/keystone-manage.log" 2>&1; }

# write_file PATH MODE < content: replaces PATH only when the content differs; true when it did.
write_file() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp "$path.XXXXXX")
  cat >"$tmp"
  if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 1
  fi
  chmod "$mode" "$tmp"
  chown keystone:keystone "$tmp"
  mv -f "$tmp" "$path"
  note "wrote $path"
}

adopted=0
if ! ours_running && keystone_answers; then
  say "a Keystone this script did not start answers on $KEYSTONE_URL: using it as it is"
  adopted=1
else
  say "Keystone configuration in $STATE"
  install -d -o keystone -g keystone -m 0750 "$STATE" "$STATE/fernet-keys" "$STATE/credential-keys"
  changed=0
  write_file "$conf" 0640 <<EOF && changed=1
# written by scripts/keystone-setup.sh (Nucleon); rerunning the script rewrites it
[DEFAULT]
use_stderr = true

[database]
connection = sqlite:///$STATE/keystone.db

[token]
provider = fernet
expiration = 3600
# Token validations and revocations are never cached: with one in-memory
# cache per uwsgi process, a token revoked through one process would stay
# valid in the other.
caching = false

[revoke]
caching = false

# Nor is the catalog: a test adds a region and endpoints of its own, and a
# process that had cached the catalog before would hand out tokens without
# them for ten minutes ("public endpoint for network service ... not found").
[catalog]
caching = false

[fernet_tokens]
key_repository = $STATE/fernet-keys/

[fernet_receipts]
key_repository = $STATE/fernet-keys/

[credential]
key_repository = $STATE/credential-keys/

# Everything else (roles, assignments, projects) is cached in each
# process's memory for 10 minutes: a validation takes ~20 ms instead of ~600.
# A role granted or removed later may take that long to show in tokens.
[cache]
enabled = true
backend = dogpile.cache.memory
expiration_time = 600
EOF
  write_file "$uwsgi_ini" 0644 <<EOF && changed=1
; written by scripts/keystone-setup.sh (Nucleon): Keystone's public API on loopback
[uwsgi]
http-socket = $KEYSTONE_HOST:$KEYSTONE_PORT
wsgi-file = /usr/bin/keystone-wsgi-public
plugins = python3
env = OS_KEYSTONE_CONFIG_FILES=$conf
master = true
; one thread per process: the SQLite driver refuses connections shared across threads
processes = 2
threads = 1
enable-threads = true
lazy-apps = true
buffer-size = 65535
rem-header = Content-Length
die-on-term = true
no-orphans = true
uid = keystone
gid = keystone
chdir = $STATE
pidfile = $pidfile
daemonize = $log_file
EOF

  # The schema: once per installed keystone version (db_sync is idempotent but takes seconds).
  version=$(dpkg-query -W -f='${Version}' keystone)
  if [[ $(cat "$STATE/db_sync.done" 2>/dev/null) != "$version" ]]; then
    say "keystone-manage db_sync (SQLite, $STATE/keystone.db)"
    keystone_manage db_sync || die "db_sync failed: see $STATE/keystone-manage.log"
    echo "$version" >"$STATE/db_sync.done"
  else
    note "schema already synced for keystone $version"
  fi
  # Write-ahead logging: Keystone's SQLite sessions can leave a read
  # transaction open between requests, which in SQLite's default journal
  # mode makes another uwsgi process's writes fail with "database is locked".
  if [[ $(as_keystone sqlite3 "$STATE/keystone.db" 'PRAGMA journal_mode;') != wal ]]; then
    note "SQLite journal_mode=WAL"
    if ours_running; then stop_ours; fi
    as_keystone sqlite3 "$STATE/keystone.db" 'PRAGMA journal_mode=WAL;' >/dev/null
  fi
  if [[ ! -s $STATE/fernet-keys/0 ]]; then
    say "keystone-manage fernet_setup"
    keystone_manage fernet_setup --keystone-user keystone --keystone-group keystone || die "fernet_setup failed: see $STATE/keystone-manage.log"
  fi
  if [[ ! -s $STATE/credential-keys/0 ]]; then
    say "keystone-manage credential_setup"
    keystone_manage credential_setup --keystone-user keystone --keystone-group keystone || die "credential_setup failed: see $STATE/keystone-manage.log"
  fi
  # Bootstrap once: run again, it would reset the admin password (and revoke admin's tokens).
  if [[ ! -f $STATE/bootstrap.done ]]; then
    say "keystone-manage bootstrap (admin/$ADMIN_PASSWORD, region $REGION, identity endpoint $KEYSTONE_URL)"
    keystone_manage bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
      --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
      --bootstrap-service-name keystone --bootstrap-region-id "$REGION" \
      --bootstrap-admin-url "$KEYSTONE_URL" --bootstrap-internal-url "$KEYSTONE_URL" \
      --bootstrap-public-url "$KEYSTONE_URL" || die "bootstrap failed: see $STATE/keystone-manage.log"
    touch "$STATE/bootstrap.done"
  else
    note "already bootstrapped"
  fi

  if ours_running && ((changed)); then
    say "configuration changed: restarting Keystone"
    stop_ours
  fi
  if ours_running; then
    say "Keystone already running (pid $(<"$pidfile"))"
  else
    keystone_answers && die "something else took $KEYSTONE_HOST:$KEYSTONE_PORT meanwhile"
    say "starting Keystone: uwsgi --ini $uwsgi_ini (log $log_file)"
    rm -f "$pidfile"
    run uwsgi --ini "$uwsgi_ini"
  fi
  deadline=$((SECONDS + 60))
  until keystone_answers; do
    ((SECONDS < deadline)) || die "Keystone does not answer on $KEYSTONE_URL after 60 s: see $log_file"
    sleep 0.3
  done
  note "Keystone answers on $KEYSTONE_URL"
fi

# --- 3. projects, users, roles, the network service --------------------------
# password_token USER PASSWORD [PROJECT]: prints a token (project-scoped when
# PROJECT is given), or nothing when Keystone refuses the password.
password_token() {
  local scope='' body
  [[ -n ${3:-} ]] && scope=$(jq -nc --arg p "$3" '{project: {name: $p, domain: {id: "default"}}}')
  body=$(jq -nc --arg u "$1" --arg pw "$2" --argjson scope "${scope:-null}" \
    '{auth: ({identity: {methods: ["password"], password: {user: {name: $u, domain: {id: "default"}, password: $pw}}}}
             + (if $scope then {scope: $scope} else {} end))}')
  curl -s -m 15 -o /dev/null -D - -H 'Content-Type: application/json' -d "$body" "$KEYSTONE_URL/auth/tokens?nocatalog" |
    awk 'tolower($1) == "x-subject-token:" { sub(/\r$/, "", $2); print $2 }'
}

say "admin token"
token=''
for _ in $(seq 1 30); do
  token=$(password_token admin "$ADMIN_PASSWORD" admin)
  [[ -n $token ]] && break
  sleep 1
done
[[ -n $token ]] || die "admin/$ADMIN_PASSWORD cannot log in to $KEYSTONE_URL$( ((adopted)) && echo ' (a Keystone this script did not set up)')"

# api METHOD PATH [JSON]: prints the response body; dies on an HTTP error.
api() {
  local method=$1 path=$2 body=${3:-} out code
  local args=(-sS -m 15 -X "$method" -H "X-Auth-Token: $token" -w '\n%{http_code}')
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  out=$(curl "${args[@]}" "$KEYSTONE_URL$path") || die "$method $path: curl failed"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $code == 2* ]] || die "$method $path: HTTP $code: $out"
  printf '%s' "$out"
}

ensure_role() {
  local id
  id=$(api GET "/roles?name=$1" | jq -r '.roles[0].id // empty')
  if [[ -z $id ]]; then
    id=$(api POST /roles "$(jq -nc --arg n "$1" '{role: {name: $n}}')" | jq -r .role.id)
    note "role $1: created ($id)" >&2
  else
    note "role $1: exists ($id)" >&2
  fi
  echo "$id"
}

ensure_project() {
  local id
  id=$(api GET "/projects?name=$1&domain_id=default" | jq -r '.projects[0].id // empty')
  if [[ -z $id ]]; then
    id=$(api POST /projects "$(jq -nc --arg n "$1" --arg d "$2" '{project: {name: $n, description: $d, domain_id: "default", enabled: true}}')" | jq -r .project.id)
    note "project $1: created ($id)" >&2
  else
    note "project $1: exists ($id)" >&2
  fi
  echo "$id"
}

# ensure_user NAME PASSWORD PROJECT_ID: touches an existing user only when
# needed (a password change revokes the user's tokens).
ensure_user() {
  local name=$1 password=$2 project=$3 user id
  user=$(api GET "/users?name=$name&domain_id=default" | jq -c '.users[0] // empty')
  if [[ -z $user ]]; then
    id=$(api POST /users "$(jq -nc --arg n "$name" --arg pw "$password" --arg p "$project" \
      '{user: {name: $n, password: $pw, domain_id: "default", default_project_id: $p, enabled: true}}')" | jq -r .user.id)
    note "user $name: created ($id)" >&2
  else
    id=$(jq -r .id <<<"$user")
    if [[ $(jq -r '"\(.enabled) \(.default_project_id // "")"' <<<"$user") != "true $project" ]]; then
      api PATCH "/users/$id" "$(jq -nc --arg p "$project" '{user: {enabled: true, default_project_id: $p}}')" >/dev/null
      note "user $name: enabled, default project set" >&2
    fi
    if [[ -z $(password_token "$name" "$password") ]]; then
      api PATCH "/users/$id" "$(jq -nc --arg pw "$password" '{user: {password: $pw}}')" >/dev/null
      note "user $name: password reset" >&2
    else
      note "user $name: exists ($id)" >&2
    fi
  fi
  echo "$id"
}

grant() { # PROJECT_ID USER_ID ROLE_ID: PUT is idempotent
  api PUT "/projects/$1/users/$2/roles/$3" >/dev/null
}

say "roles"
admin_role=$(ensure_role admin)
member_role=$(ensure_role member)
reader_role=$(ensure_role reader)
# Keystone 2023.2 and later bootstrap a `service` role; Zed (bookworm's) does not.
service_role=$(ensure_role service)

say "projects"
admin_project=$(ensure_project admin 'Bootstrap project for initializing the cloud.')
service_project=$(ensure_project service 'Service Project')
demo_project=$(ensure_project demo 'Demo Project')
alt_demo_project=$(ensure_project alt_demo 'Second demo project')

say "users and role assignments"
neutron_user=$(ensure_user neutron neutron "$service_project")
grant "$service_project" "$neutron_user" "$admin_role"
grant "$service_project" "$neutron_user" "$service_role"
note "neutron: admin and service on project service"
demo_user=$(ensure_user demo demo "$demo_project")
grant "$demo_project" "$demo_user" "$member_role"
note "demo: member on project demo"
alt_demo_user=$(ensure_user alt_demo alt_demo "$alt_demo_project")
grant "$alt_demo_project" "$alt_demo_user" "$member_role"
note "alt_demo: member on project alt_demo"
reader_user=$(ensure_user reader reader "$demo_project")
grant "$demo_project" "$reader_user" "$reader_role"
note "reader: reader on project demo"

say "the network service, endpoints at $NETWORK_URL (region $REGION)"
service=$(api GET '/services?type=network' | jq -r '.services[0].id // empty')
if [[ -z $service ]]; then
  service=$(api POST /services '{"service": {"type": "network", "name": "neutron", "description": "OpenStack Networking", "enabled": true}}' | jq -r .service.id)
  note "service network: created ($service)"
else
  note "service network: exists ($service)"
fi
for interface in public internal admin; do
  endpoint=$(api GET "/endpoints?service_id=$service&interface=$interface&region_id=$REGION" | jq -c '.endpoints[0] // empty')
  if [[ -z $endpoint ]]; then
    api POST /endpoints "$(jq -nc --arg s "$service" --arg i "$interface" --arg r "$REGION" --arg u "$NETWORK_URL" \
      '{endpoint: {service_id: $s, interface: $i, region_id: $r, url: $u, enabled: true}}')" >/dev/null
    note "$interface endpoint: created"
  elif [[ $(jq -r .url <<<"$endpoint") != "$NETWORK_URL" ]]; then
    api PATCH "/endpoints/$(jq -r .id <<<"$endpoint")" "$(jq -nc --arg u "$NETWORK_URL" '{endpoint: {url: $u}}')" >/dev/null
    note "$interface endpoint: was $(jq -r .url <<<"$endpoint"), now $NETWORK_URL"
  else
    note "$interface endpoint: $NETWORK_URL"
  fi
done

# --- 4. credentials ----------------------------------------------------------
say "credentials in $STATE"
install -d -m 0755 "$STATE"
env_file=$STATE/env
tmp=$(mktemp "$env_file.XXXXXX")
cat >"$tmp" <<EOF
# written by scripts/keystone-setup.sh: the Keystone Nucleon's tests and users log in to
KEYSTONE_URL=$KEYSTONE_URL
REGION_NAME=$REGION
NETWORK_URL=$NETWORK_URL
ADMIN_USERNAME=admin
ADMIN_PASSWORD=$ADMIN_PASSWORD
ADMIN_PROJECT_NAME=admin
ADMIN_PROJECT_ID=$admin_project
NEUTRON_USERNAME=neutron
NEUTRON_PASSWORD=neutron
SERVICE_PROJECT_NAME=service
SERVICE_PROJECT_ID=$service_project
DEMO_USERNAME=demo
DEMO_PASSWORD=demo
DEMO_PROJECT_NAME=demo
DEMO_PROJECT_ID=$demo_project
ALT_DEMO_USERNAME=alt_demo
ALT_DEMO_PASSWORD=alt_demo
ALT_DEMO_PROJECT_NAME=alt_demo
ALT_DEMO_PROJECT_ID=$alt_demo_project
READER_USERNAME=reader
READER_PASSWORD=reader
READER_PROJECT_NAME=demo
READER_PROJECT_ID=$demo_project
EOF
chmod 0600 "$tmp"
mv -f "$tmp" "$env_file"
note "wrote $env_file"
for who in admin:admin:$ADMIN_PASSWORD demo:demo:demo alt_demo:alt_demo:alt_demo reader:demo:reader; do
  IFS=: read -r user project password <<<"$who"
  cat >"$STATE/$user-openrc" <<EOF
export OS_AUTH_URL=$KEYSTONE_URL
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=$REGION
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_USERNAME=$user
export OS_PASSWORD=$password
export OS_PROJECT_NAME=$project
EOF
  chmod 0600 "$STATE/$user-openrc"
done
note "wrote $STATE/{admin,demo,alt_demo,reader}-openrc"

say "done in $((SECONDS - started)) s: Keystone at $KEYSTONE_URL"
cat <<EOF
    neutron.conf for it:
      [DEFAULT]
      auth_strategy = keystone
      [keystone_authtoken]
      www_authenticate_uri = http://$KEYSTONE_HOST:$KEYSTONE_PORT
      auth_url = http://$KEYSTONE_HOST:$KEYSTONE_PORT
      auth_type = password
      project_domain_name = Default
      user_domain_name = Default
      project_name = service
      username = neutron
      password = neutron
    a user's shell:  . $STATE/demo-openrc && openstack network list
EOF
