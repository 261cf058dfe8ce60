#!/usr/bin/env python3
"""Checks libpgha/src/postgres/parameter_table.cc against an installed PostgreSQL server.

Usage:
  check_against_server.py BIN_DIR MAJOR [--table FILE] [--user NAME] [--keep]

BIN_DIR holds the server's programs (postgres, initdb, pg_ctl, psql), e.g.
/usr/lib/postgresql/15/bin, and MAJOR is its major version.  The rows of the
table that describe MAJOR are compared with:

  1. `postgres --describe-config`: every parameter it lists (it leaves out the
     GUC_NO_SHOW_ALL, GUC_NOT_IN_SAMPLE and GUC_DISALLOW_IN_FILE ones) must be
     in the table with the same type, context, min and max;
  2. pg_settings of a temporary server (initdb in a temporary directory, started
     on a Unix socket in it, no TCP; removed afterwards): every parameter that is
     not internal must be in the table with the same type, context, min, max and
     unit, and the table's enum values must include pg_settings.enumvals; every
     table parameter that pg_settings does not show must still be known to the
     server (current_setting(name, true) is not NULL);
  3. `postgres -D DATA -C NAME -c NAME=VALUE` for every enum value of the table,
     hidden ones included: the server must accept each of them (and must reject
     a made-up value, to show the probe works).

The server programs do not run as root: when this script runs as root they are
run as --user (default pgha) through setpriv.  Exit status 0 when everything
agrees, 1 otherwise.  Python 3 standard library only.
"""

import argparse
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

DEFAULT_TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'libpgha',
                             'src', 'postgres', 'parameter_table.cc')

ROW_RE = re.compile(r'^\s*\{"([^"]+)", GucType::k(\w+), (\d+), (\d+), ([-+0-9.eE]+), '
                    r'([-+0-9.eE]+), "([^"]*)", "([^"]*)", "([^"]*)"\},\s*$')

TYPE_NAMES = {'Bool': 'bool', 'Integer': 'integer', 'Real': 'real', 'String': 'string',
              'Enum': 'enum'}
DESCRIBE_TYPES = {'BOOLEAN': 'bool', 'INTEGER': 'integer', 'REAL': 'real', 'STRING': 'string',
                  'ENUM': 'enum'}


def load_table(path, major):
    rows = {}
    with open(path) as f:
        for line in f:
            m = ROW_RE.match(line)
            if not m:
                continue
            name, typ, since, until, lo, hi, unit, enums, context = m.groups()
            since, until = int(since), int(until)
            if since <= major and (until == 0 or major < until):
                if name in rows:
                    raise SystemExit('%s: two rows for %s in %d' % (path, name, major))
                rows[name] = {'type': TYPE_NAMES[typ], 'min': float(lo), 'max': float(hi),
                              'unit': unit, 'enum_values': enums.split(',') if typ == 'Enum'
                              else [], 'context': context}
    if not rows:
        raise SystemExit('%s: no rows for major %d' % (path, major))
    return rows


class Runner:

    def __init__(self, bin_dir, user):
        self.bin_dir = bin_dir
        self.prefix = []
        if os.geteuid() == 0:
            pwd.getpwnam(user)  # fails early if the user does not exist
            self.prefix = ['setpriv', '--reuid=' + user, '--regid=' + user, '--init-groups']
        self.user = user

    def run(self, program, *args, check=True, env=None):
        cmd = self.prefix + [os.path.join(self.bin_dir, program)] + list(args)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd='/',
                              env=dict(os.environ, LC_ALL='C', LANG='C', **(env or {})))
        if check and proc.returncode != 0:
            raise SystemExit('%s failed (%d): %s' % (' '.join(cmd), proc.returncode,
                                                     proc.stderr.decode().strip()))
        return proc


def same_number(ours, theirs, integer):
    if integer:
        return ours == theirs
    if ours == theirs:
        return True
    return abs(ours - theirs) <= 1e-5 * max(abs(ours), abs(theirs))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('bin_dir')
    ap.add_argument('major', type=int)
    ap.add_argument('--table', default=DEFAULT_TABLE)
    ap.add_argument('--user', default='pgha', help='user to run the server as when root')
    ap.add_argument('--keep', action='store_true', help='keep the temporary directory')
    ap.add_argument('--not-upstream', action='append', default=None, metavar='NAME',
                    help='a parameter the server has that PostgreSQL\'s sources do not (a '
                    'packager\'s patch); reported, not a mismatch.  Default: extension_destdir '
                    '(added by the Debian/Ubuntu packages)')
    args = ap.parse_args(argv)

    table = load_table(args.table, args.major)
    not_upstream = set(args.not_upstream if args.not_upstream is not None
                       else ['extension_destdir'])
    patched = set()
    runner = Runner(args.bin_dir, args.user)
    problems = []
    notes = []

    version = runner.run('postgres', '--version').stdout.decode().strip()
    m = re.match(r'postgres \(PostgreSQL\) (\d+)', version)
    if not m or int(m.group(1)) != args.major:
        raise SystemExit('%s is not major %d' % (version, args.major))
    print('server: %s' % version)
    print('table: %d rows describe %d' % (len(table), args.major))

    # 1. --describe-config
    described = {}
    out = runner.run('postgres', '--describe-config').stdout.decode('utf-8', 'replace')
    for line in out.splitlines():
        f = line.split('\t')
        if len(f) < 7:
            continue
        described[f[0]] = {'context': f[1], 'type': DESCRIBE_TYPES.get(f[3], f[3]),
                           'min': f[5], 'max': f[6]}
    for name, d in sorted(described.items()):
        t = table.get(name)
        if t is None and name in not_upstream:
            patched.add(name)
            continue
        if t is None:
            problems.append('describe-config: %s is not in the table' % name)
            continue
        if d['type'] != t['type']:
            problems.append('describe-config: %s type %s, table %s' % (name, d['type'], t['type']))
        if d['context'] != t['context']:
            problems.append('describe-config: %s context %s, table %s' %
                            (name, d['context'], t['context']))
        if t['type'] in ('integer', 'real'):
            for key in ('min', 'max'):
                if not same_number(t[key], float(d[key]), t['type'] == 'integer'):
                    problems.append('describe-config: %s %s %s, table %r' %
                                    (name, key, d[key], t[key]))
    print('describe-config: %d parameters compared' % len(described))

    # 2. pg_settings of a temporary server
    tmp = tempfile.mkdtemp(prefix='pg_params_check.')
    settings = {}
    known = {}
    accepted = {}
    try:
        if runner.prefix:
            pw = pwd.getpwnam(args.user)
            os.chown(tmp, pw.pw_uid, pw.pw_gid)
        data = os.path.join(tmp, 'data')
        runner.run('initdb', '-D', data, '-A', 'trust', '--no-sync', '-E', 'UTF8',
                   '--locale=C', '-U', 'postgres')
        port = '5432'
        runner.run('pg_ctl', '-D', data, '-w', '-l', os.path.join(tmp, 'server.log'), '-o',
                   "-k %s -c listen_addresses='' -p %s" % (tmp, port), 'start')
        try:
            def psql(sql):
                return runner.run('psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1',
                                  '-h', tmp, '-p', port, '-U', 'postgres', '-d', 'postgres',
                                  '-c', sql).stdout.decode()

            rows = json.loads(psql(
                "SELECT json_agg(json_build_object('name', name, 'vartype', vartype, "
                "'context', context, 'min', min_val, 'max', max_val, 'unit', unit, "
                "'enumvals', enumvals)) FROM pg_settings"))
            settings = {r['name']: r for r in rows}
            hidden = sorted(set(table) - set(settings))
            if hidden:
                array = 'ARRAY[%s]::text[]' % ','.join("'%s'" % n for n in hidden)
                res = json.loads(psql(
                    'SELECT json_object_agg(n, current_setting(n, true) IS NOT NULL) '
                    'FROM unnest(%s) AS n' % array))
                known = res
        finally:
            runner.run('pg_ctl', '-D', data, '-w', '-m', 'fast', 'stop', check=False)

        # 3. enum values, hidden ones included, through postgres -C
        for name, t in sorted(table.items()):
            if t['type'] != 'enum':
                continue
            for value in t['enum_values']:
                proc = runner.run('postgres', '-D', data, '-C', name, '-c',
                                  '%s=%s' % (name, value), check=False)
                accepted[(name, value)] = (proc.returncode == 0,
                                           proc.stderr.decode().strip().splitlines()[:1])
        probe_name = next(n for n, t in sorted(table.items()) if t['type'] == 'enum')
        bogus = runner.run('postgres', '-D', data, '-C', probe_name, '-c',
                           '%s=no_such_value_xyz' % probe_name, check=False)
        if bogus.returncode == 0:
            problems.append('enum probe: %s=no_such_value_xyz was accepted, the probe proves '
                            'nothing' % probe_name)
    finally:
        if args.keep:
            print('kept %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    internal = sorted(n for n, s in settings.items() if s['context'] == 'internal')
    for name in internal:
        if name in table:
            problems.append('pg_settings: %s is internal but in the table' % name)
    compared = 0
    hidden_values = []
    for name, s in sorted(settings.items()):
        if s['context'] == 'internal':
            continue
        t = table.get(name)
        if t is None and name in not_upstream:
            patched.add(name)
            continue
        if t is None:
            problems.append('pg_settings: %s is not in the table' % name)
            continue
        compared += 1
        if s['vartype'] != t['type']:
            problems.append('pg_settings: %s vartype %s, table %s' % (name, s['vartype'],
                                                                      t['type']))
        if s['context'] != t['context']:
            problems.append('pg_settings: %s context %s, table %s' % (name, s['context'],
                                                                      t['context']))
        if (s['unit'] or '') != t['unit']:
            problems.append('pg_settings: %s unit %r, table %r' % (name, s['unit'], t['unit']))
        if t['type'] in ('integer', 'real'):
            for key in ('min', 'max'):
                if s[key] is None or not same_number(t[key], float(s[key]),
                                                     t['type'] == 'integer'):
                    problems.append('pg_settings: %s %s %s, table %r' % (name, key, s[key],
                                                                        t[key]))
        if t['type'] == 'enum':
            visible = s['enumvals'] or []
            missing = [v for v in visible if v not in t['enum_values']]
            if missing:
                problems.append('pg_settings: %s enum values %s not in the table' %
                                (name, missing))
            extra = [v for v in t['enum_values'] if v not in visible]
            if extra:
                hidden_values.append('%s: %s' % (name, ','.join(repr(v) for v in extra)))
    for name, ok in sorted(known.items()):
        if not ok:
            problems.append('server: %s (in the table) is unknown to the server' % name)
    for (name, value), (ok, err) in sorted(accepted.items()):
        if not ok:
            problems.append('postgres -C: %s=%r rejected: %s' % (name, value, ' '.join(err)))

    print('pg_settings: %d parameters compared (%d internal ones not in the table, as '
          'expected)' % (compared, len(internal)))
    print('not shown by pg_settings but known to the server: %d (%s)' % (
        sum(1 for ok in known.values() if ok), ', '.join(sorted(n for n, ok in known.items()
                                                                  if ok))))
    print('enum values probed with postgres -C: %d, accepted: %d' % (
        len(accepted), sum(1 for ok, _ in accepted.values() if ok)))
    print('hidden enum values (accepted, not in pg_settings.enumvals): %d parameters' %
          len(hidden_values))
    for line in hidden_values:
        print('  ' + line)
    for name in sorted(patched):
        s = settings.get(name, {})
        notes.append('%s (%s, %s) is the server\'s own, not in PostgreSQL\'s sources: not '
                     'compared' % (name, s.get('vartype'), s.get('context')))
    for note in notes:
        print('note: ' + note)
    if problems:
        print('MISMATCHES: %d' % len(problems))
        for p in problems:
            print('  ' + p)
        return 1
    print('OK: the table agrees with the server for %d' % args.major)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
