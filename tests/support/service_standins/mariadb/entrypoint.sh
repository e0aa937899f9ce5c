#!/bin/sh
# First start: the database, the user and the root password the MARIADB_* variables name.
set -eu
if [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
  mariadbd --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  i=0
  until mariadb -S /run/mysqld/init.sock -u root -e 'select 1' >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 60 ] || exit 1; sleep 1
  done
  mariadb -S /run/mysqld/init.sock -u root <<SQL
CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE}\`;
CREATE USER '${MARIADB_USER}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD}';
GRANT ALL ON \`${MARIADB_DATABASE}\`.* TO '${MARIADB_USER}'@'%';
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD}';
FLUSH PRIVILEGES;
SQL
  kill "$pid"; wait "$pid" || true
fi
exec "$@" --bind-address=0.0.0.0 --port=3306
