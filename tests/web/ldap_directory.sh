#!/usr/bin/env bash
# A test directory for the LDAP log-in tests (tests/web/test_sso.py): Debian's slapd on loopback with the
# entries of ldap_directory.ldif (people, groups, a service account), memberOf kept by the memberof overlay.
#
#   tests/web/ldap_directory.sh start DIR [PORT]   creates DIR/slapd.d and DIR/data, starts slapd on
#                                                  127.0.0.1:PORT (default 3389), loads the entries and
#                                                  prints the variables the tests read (export lines)
#   tests/web/ldap_directory.sh stop DIR           stops that slapd
#
# Used by .ci/run; by hand:  eval "$(tests/web/ldap_directory.sh start /tmp/ldap-test 3389)" && pytest tests/web/test_sso.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command=${1:?start|stop}
dir=${2:?directory}
port=${3:-3389}
suffix="dc=stadt,dc=example"
root_dn="cn=admin,$suffix"
root_pw="verzeichnis-admin-1"

case "$command" in
stop)
    if [ -f "$dir/slapd.pid" ]; then
        pid=$(cat "$dir/slapd.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    exit 0
    ;;
start) ;;
*) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac

mkdir -p "$dir/slapd.d" "$dir/data"
dir=$(cd "$dir" && pwd)
hash=$(slappasswd -s "$root_pw")
cat > "$dir/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $suffix
olcDbDirectory: $dir/data
olcRootDN: $root_dn
olcRootPW: $hash
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by users read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf
LDIF
slapadd -q -n 0 -F "$dir/slapd.d" -l "$dir/config.ldif"
slapd -h "ldap://127.0.0.1:$port/" -F "$dir/slapd.d"
for _ in $(seq 100); do
    ldapwhoami -x -H "ldap://127.0.0.1:$port/" -D "$root_dn" -w "$root_pw" >/dev/null 2>&1 && break
    sleep 0.1
done
# Through slapd, not slapadd: so the memberof overlay writes each person's memberOf.
ldapadd -x -H "ldap://127.0.0.1:$port/" -D "$root_dn" -w "$root_pw" -f "$here/ldap_directory.ldif" >/dev/null
echo "export IMPACTCHECK_TEST_LDAP_URL=ldap://127.0.0.1:$port"
