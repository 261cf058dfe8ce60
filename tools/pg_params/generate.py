#!/usr/bin/env python3
"""Generates libpgha/src/postgres/parameter_table.cc from PostgreSQL's own sources.

Usage:
  generate.py GIT_DIR [--versions 12,13,14,15,16,17] [--rev MAJOR=REV ...]
              [--output FILE] [--dump-json FILE]

GIT_DIR is a clone of PostgreSQL's repository (bare or not; only `git show`,
`git grep` and `git log` are used, nothing is checked out).  For each major
version the revision read is, unless --rev names one:
  1. the highest release tag REL_<major>_<minor> (e.g. REL_17_4), if the clone has tags;
  2. otherwise the newest commit "Stamp <major>.<minor>." reachable from any ref
     (the commit that sets the release's version number).

Per version the GUC tables ConfigureNamesBool/Int/Real/String/Enum are read from
src/backend/utils/misc/guc_tables.c (16 and later) or guc.c (12 to 15).  Enum
options are the config_enum_entry arrays the entries name, found by name in the
same revision (hidden entries included: the server accepts them).  Bounds that
are macros are resolved from the #defines of the same revision, for a 64-bit
Linux build configured with the defaults (BLCKSZ 8192, ...), see BUILD_DEFINES.
Entries whose context is PGC_INTERNAL are left out (they cannot be set).

Consecutive majors in which a parameter has the same type, bounds, unit, enum
values and context are merged into one row.  The output is deterministic.

Python 3 standard library only.
"""

import argparse
import ast
import json
import os
import re
import subprocess
import sys

DEFAULT_VERSIONS = [12, 13, 14, 15, 16, 17]
DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'libpgha',
                              'src', 'postgres', 'parameter_table.cc')

# The build the table describes: 64-bit Linux (x86_64/aarch64, glibc), configured with
# PostgreSQL's defaults for block and segment sizes, with OpenSSL, lz4 and zstd (as the
# PGDG/Debian packages are), without assertions or debugging #defines.  None means
# "not defined".  A condition in a GUC table or an enum array that names a macro not
# listed here stops the generator: decide it and add it.
BUILD_DEFINES = {
    # limits.h / float.h, LP64
    'INT_MAX': '2147483647',
    'INT_MIN': '(-2147483647 - 1)',
    'LONG_MAX': '9223372036854775807',
    'SIZE_MAX': '18446744073709551615',
    'IOV_MAX': '1024',
    'DBL_MAX': '1.7976931348623157e308',
    'DBL_MIN': '2.2250738585072014e-308',
    'FLT_MAX': '3.4028234663852886e38',
    # pg_config.h (configure/meson, default options)
    'SIZEOF_LONG': '8',
    'SIZEOF_SIZE_T': '8',
    'SIZEOF_VOID_P': '8',
    'SIZEOF_OFF_T': '8',
    'ALIGNOF_LONG': '8',
    'MAXIMUM_ALIGNOF': '8',
    'BLCKSZ': '8192',
    'XLOG_BLCKSZ': '8192',
    'RELSEG_SIZE': '131072',
    'DEFAULT_XLOG_SEG_SIZE': '(16*1024*1024)',
    'HAVE_SYSLOG': '1',
    'HAVE_UNIX_SOCKETS': '1',
    'HAVE_FDATASYNC': '1',
    'HAVE_SYNCFS': '1',
    'HAVE_POSIX_FALLOCATE': '1',
    'HAVE_POLL_H': '1',
    'HAVE_FSYNC_WRITETHROUGH': None,  # Windows and macOS only
    'USE_SSL': '1',
    'USE_OPENSSL': '1',
    'USE_LZ4': '1',
    'USE_ZSTD': '1',
    'USE_LLVM': '1',
    'USE_BONJOUR': None,
    'USE_ASSERT_CHECKING': None,
    'ENABLE_NLS': '1',
    # Linux system headers
    'POLLRDHUP': '1',
    'MAP_HUGE_MASK': '1',
    'MAP_HUGE_SHIFT': '1',
    'O_DSYNC': '1',
    'O_SYNC': '1',
    'O_DIRECT': '1',
    'OPEN_DATASYNC_FLAG': '1',
    'OPEN_SYNC_FLAG': '1',
    'PG_O_DIRECT': '1',
    # pg_config_manual.h / port headers, as they come out on Linux
    'USE_PREFETCH': '1',           # posix_fadvise available
    'USE_POSIX_FADVISE': '1',
    'TRACE_SORT': '1',             # pg_config_manual.h (<= 15; always on since 16)
    'USE_DSM_POSIX': '1',
    'USE_DSM_SYSV': '1',
    'USE_DSM_MMAP': '1',
    'USE_DSM_WINDOWS': None,
    'DEFAULT_DYNAMIC_SHARED_MEMORY_TYPE': 'DSM_IMPL_POSIX',
    'WIN32': None,
    '_WIN32': None,
    '__CYGWIN__': None,
    'EXEC_BACKEND': None,
    'FRONTEND': None,
    # debugging #defines, off in normal builds
    'LOCK_DEBUG': None,
    'BTREE_BUILD_STATS': None,
    'DEBUG_BOUNDED_SORT': None,
    'WAL_DEBUG': None,
    'TRACE_SYNCSCAN': None,
    'DISCARD_CACHES_ENABLED': None,
    'CLOBBER_CACHE_ALWAYS': None,
    'CLOBBER_CACHE_RECURSIVELY': None,
    'RECOVER_RELATION_BUILD_MEMORY': None,
    'USE_VALGRIND': None,
    'USE_INJECTION_POINTS': None,
    'PG_KRB_SRVTAB': None,  # guc.c defines it itself when undefined
}

CONTEXTS = {
    'PGC_POSTMASTER': 'postmaster',
    'PGC_SIGHUP': 'sighup',
    'PGC_SU_BACKEND': 'superuser-backend',
    'PGC_BACKEND': 'backend',
    'PGC_SUSET': 'superuser',
    'PGC_USERSET': 'user',
    'PGC_INTERNAL': 'internal',
}

UNITS = {
    'GUC_UNIT_KB': 'kB',
    'GUC_UNIT_BLOCKS': '8kB',   # BLCKSZ / 1024 "kB"
    'GUC_UNIT_XBLOCKS': '8kB',  # XLOG_BLCKSZ / 1024 "kB"
    'GUC_UNIT_MB': 'MB',
    'GUC_UNIT_BYTE': 'B',
    'GUC_UNIT_MS': 'ms',
    'GUC_UNIT_S': 's',
    'GUC_UNIT_MIN': 'min',
}

TABLES = [
    ('ConfigureNamesBool', 'bool'),
    ('ConfigureNamesInt', 'integer'),
    ('ConfigureNamesReal', 'real'),
    ('ConfigureNamesString', 'string'),
    ('ConfigureNamesEnum', 'enum'),
]

CPP_TYPES = {
    'bool': 'kBool',
    'integer': 'kInteger',
    'real': 'kReal',
    'string': 'kString',
    'enum': 'kEnum',
}


class GenError(Exception):
    pass


# ---------------------------------------------------------------------------
# git access


class Git:

    def __init__(self, git_dir):
        self.git_dir = git_dir
        self._show_cache = {}
        self._grep_cache = {}

    def run(self, *args, check=True):
        proc = subprocess.run(['git', '--git-dir', self.git_dir] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and proc.returncode != 0:
            raise GenError('git %s failed: %s' % (' '.join(args), proc.stderr.decode().strip()))
        return proc.returncode, proc.stdout.decode('utf-8', 'replace')

    def show(self, rev, path):
        key = (rev, path)
        if key not in self._show_cache:
            rc, out = self.run('show', '%s:%s' % (rev, path), check=False)
            self._show_cache[key] = out if rc == 0 else None
        return self._show_cache[key]

    def grep_files(self, rev, pattern, pathspecs):
        """Paths (at rev) whose text matches the extended regex pattern."""
        key = (rev, pattern, tuple(pathspecs))
        if key not in self._grep_cache:
            rc, out = self.run('grep', '-l', '-E', pattern, rev, '--', *pathspecs, check=False)
            if rc not in (0, 1):
                raise GenError('git grep failed for %r' % pattern)
            paths = []
            for line in out.splitlines():
                prefix = rev + ':'
                paths.append(line[len(prefix):] if line.startswith(prefix) else line)
            self._grep_cache[key] = sorted(paths)
        return self._grep_cache[key]

    def resolve(self, rev):
        rc, out = self.run('rev-parse', '--verify', '%s^{commit}' % rev)
        return out.strip()

    def find_release(self, major):
        """(commit, description) of the newest release of a major version."""
        _, tags = self.run('tag', '-l', 'REL_%d_*' % major)
        best = None
        for tag in tags.split():
            m = re.fullmatch(r'REL_%d_(\d+)' % major, tag)
            if m and (best is None or int(m.group(1)) > best[0]):
                best = (int(m.group(1)), tag)
        if best is not None:
            return self.resolve(best[1]), 'tag %s' % best[1]
        _, log = self.run('log', '--all', '--format=%H %s', '--grep=^Stamp %d\\.' % major)
        best = None
        for line in log.splitlines():
            sha, _, subject = line.partition(' ')
            m = re.fullmatch(r'Stamp %d\.(\d+)\.?' % major, subject.strip())
            if m and (best is None or int(m.group(1)) > best[0]):
                best = (int(m.group(1)), sha)
        if best is None:
            raise GenError('no tag REL_%d_* nor commit "Stamp %d.N" in %s' %
                           (major, major, self.git_dir))
        return best[1], 'commit "Stamp %d.%d."' % (major, best[0])


# ---------------------------------------------------------------------------
# C text handling


def literal_end(text, i):
    """Index of the quote closing the C string or char literal that opens at text[i]."""
    quote, j, n = text[i], i + 1, len(text)
    while j < n and text[j] != quote:
        if text[j] == '\\':
            j += 1
        j += 1
    return j

def strip_comments(text):
    """Replaces comments by spaces (newlines kept), leaving string literals alone."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '/' and i + 1 < n and text[i + 1] == '*':
            j = text.find('*/', i + 2)
            if j < 0:
                j = n - 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j + 2]))
            i = j + 2
        elif c == '/' and i + 1 < n and text[i + 1] == '/':
            j = text.find('\n', i)
            if j < 0:
                j = n
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = literal_end(text, i)
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


class Preprocessor:
    """Evaluates #if/#ifdef/#else/#endif and collects object-like #defines.

    The result keeps line numbering: lines that are skipped, and directive lines,
    become empty.  Conditions naming a macro that is neither in BUILD_DEFINES nor
    #defined earlier in the same file are recorded in self.unknown as
    (line number, macro) and evaluated as "not defined", as cpp would.
    """

    def __init__(self, text):
        text = strip_comments(text)
        text = re.sub(r'\\\n', '  ', text)  # continuation lines (keeps nothing but columns)
        self.lines = text.split('\n')
        self.defines = {}
        self.unknown = []
        self.output = self._run()

    def _is_defined(self, name, lineno):
        if name in self.defines:
            return self.defines[name] is not None
        if name in BUILD_DEFINES:
            return BUILD_DEFINES[name] is not None
        self.unknown.append((lineno, name))
        return False

    def _value(self, name, lineno):
        if name in self.defines:
            return self.defines[name]
        if name in BUILD_DEFINES:
            return BUILD_DEFINES[name]
        self.unknown.append((lineno, name))
        return None

    def _eval_condition(self, expr, lineno):
        expr = re.sub(r'defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)',
                      lambda m: ' 1 ' if self._is_defined(m.group(1) or m.group(2), lineno)
                      else ' 0 ', expr)

        def ident(m):
            name = m.group(0)
            seen = set()
            value = name
            while re.fullmatch(r'[A-Za-z_]\w*', value or '') and value not in seen:
                seen.add(value)
                value = self._value(value, lineno)
            if value is None or re.fullmatch(r'[A-Za-z_]\w*', value):
                return ' 0 '
            return ' (%s) ' % value

        expr = re.sub(r'\b[A-Za-z_]\w*\b', ident, expr)
        try:
            return bool(eval_c_expr(expr))
        except GenError as e:
            raise GenError('line %d: cannot evaluate #if %s: %s' % (lineno, expr, e))

    def _run(self):
        out = []
        # stack of (parent_active, this_branch_active, some_branch_taken)
        stack = []
        active = True
        for idx, line in enumerate(self.lines):
            lineno = idx + 1
            m = re.match(r'\s*#\s*(\w+)(.*)$', line)
            if not m:
                out.append(line if active else '')
                continue
            directive, rest = m.group(1), m.group(2).strip()
            out.append('')
            if directive in ('if', 'ifdef', 'ifndef'):
                if not active:
                    stack.append((False, False, True))
                    active = False
                    continue
                if directive == 'ifdef':
                    cond = self._is_defined(rest.split()[0], lineno)
                elif directive == 'ifndef':
                    cond = not self._is_defined(rest.split()[0], lineno)
                else:
                    cond = self._eval_condition(rest, lineno)
                stack.append((active, cond, cond))
                active = cond
            elif directive == 'elif':
                parent, _, taken = stack.pop()
                cond = (parent and not taken) and self._eval_condition(rest, lineno)
                stack.append((parent, cond, taken or cond))
                active = parent and cond
            elif directive == 'else':
                parent, _, taken = stack.pop()
                stack.append((parent, not taken, True))
                active = parent and not taken
            elif directive == 'endif':
                parent, _, _ = stack.pop()
                active = parent
            elif directive == 'define' and active:
                dm = re.match(r'(\w+)(\(?)\s*(.*)$', rest)
                if dm and not dm.group(2):
                    self.defines[dm.group(1)] = dm.group(3).strip() or '1'
            elif directive == 'undef' and active:
                self.defines[rest.split()[0]] = None
        return '\n'.join(out)

    def unknown_between(self, first_line, last_line):
        return sorted({name for (ln, name) in self.unknown if first_line <= ln <= last_line})


def split_top_level(text, sep=','):
    """Splits on sep outside of (), {}, [] and string/char literals."""
    parts, depth, cur, i, n = [], 0, [], 0, len(text)
    while i < n:
        c = text[i]
        if c in '"\'':
            j = literal_end(text, i)
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in '({[':
            depth += 1
        elif c in ')}]':
            depth -= 1
        if c == sep and depth == 0:
            parts.append(''.join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    tail = ''.join(cur).strip()
    if tail:
        parts.append(tail)
    return parts


def braced_body(text, open_index):
    """The text between the brace at open_index and its matching close brace."""
    depth, i, n = 0, open_index, len(text)
    while i < n:
        c = text[i]
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == '\\':
                    j += 1
                j += 1
            i = j + 1
            continue
        if c == '{':
            depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0:
                return text[open_index + 1:i], i
        i += 1
    raise GenError('unbalanced braces')


def unbrace(text):
    text = text.strip()
    if not (text.startswith('{') and text.endswith('}')):
        raise GenError('expected {...}, got %r' % text[:80])
    return text[1:-1]


def c_string(text):
    """The value of a C string literal (adjacent literals concatenated), or None for NULL."""
    text = text.strip()
    if text == 'NULL':
        return None
    m = re.fullmatch(r'(?:gettext_noop\s*\(\s*)?((?:"(?:[^"\\]|\\.)*"\s*)+)\)?', text, re.S)
    if not m:
        raise GenError('expected a string literal, got %r' % text[:80])
    pieces = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
    return ''.join(bytes(p, 'utf-8').decode('unicode_escape') for p in pieces)


# ---------------------------------------------------------------------------
# constant expressions


def eval_c_expr(expr):
    """Evaluates a C constant expression of numbers (C division rules)."""
    e = expr
    # casts
    e = re.sub(r'\(\s*(?:const\s+)?(?:unsigned\s+|signed\s+)?(?:int|long|long\s+long|double|float|'
               r'Size|size_t|int32|int64|uint32|uint64|float8|float4|Oid|TransactionId|'
               r'MultiXactId|BlockNumber)\s*\)', ' ', e)
    # numeric suffixes
    e = re.sub(r'\b(0[xX][0-9a-fA-F]+|\d+)(?:[uU]?[lL]{0,2}|[lL]{1,2}[uU]?)\b', r'\1', e)
    e = re.sub(r'\b(\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\.\d+(?:[eE][-+]?\d+)?)[fFlL]\b',
               r'\1', e)
    e = re.sub(r'(?<![\w.])0([0-7]+)\b', r'0o\1', e)  # octal
    e = e.replace('&&', ' and ').replace('||', ' or ')
    e = re.sub(r'!(?!=)', ' not ', e)
    if re.search(r'[A-Za-z_]', re.sub(r'\b(and|or|not|pgmin|pgmax|0[xX][0-9a-fA-F]+|0o[0-7]+|'
                                      r'\d+\.?\d*[eE][-+]?\d+)\b', '', e)):
        raise GenError('unresolved name in %r' % expr)
    try:
        tree = ast.parse(e.strip(), mode='eval')
    except SyntaxError as err:
        raise GenError('cannot parse %r: %s' % (expr, err))

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return v
            if isinstance(node.op, ast.Not):
                return int(not v)
            if isinstance(node.op, ast.Invert):
                return ~v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            op = node.op
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            if isinstance(op, ast.Div):
                if isinstance(a, int) and isinstance(b, int):
                    q = abs(a) // abs(b)
                    return q if (a >= 0) == (b >= 0) else -q
                return a / b
            if isinstance(op, ast.Mod):
                return a % b
            if isinstance(op, ast.LShift):
                return a << b
            if isinstance(op, ast.RShift):
                return a >> b
            if isinstance(op, ast.BitOr):
                return a | b
            if isinstance(op, ast.BitAnd):
                return a & b
        if isinstance(node, ast.BoolOp):
            vals = [ev(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return int(all(vals))
            return int(any(vals))
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = ev(right_node)
                ok = {ast.Lt: left < right, ast.LtE: left <= right, ast.Gt: left > right,
                      ast.GtE: left >= right, ast.Eq: left == right,
                      ast.NotEq: left != right}[type(op)]
                if not ok:
                    return 0
                left = right
            return 1
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and
                node.func.id in ('pgmin', 'pgmax') and len(node.args) == 2):
            a, b = ev(node.args[0]), ev(node.args[1])
            return min(a, b) if node.func.id == 'pgmin' else max(a, b)
        if isinstance(node, ast.IfExp):
            return ev(node.body) if ev(node.test) else ev(node.orelse)
        raise GenError('unsupported expression %r' % expr)

    return ev(tree)


# ---------------------------------------------------------------------------
# one version


class VersionParser:

    def __init__(self, git, rev):
        self.git = git
        self.rev = rev
        self._pp_cache = {}
        self._macro_cache = {}
        self.macro_sources = {}  # macro -> "value (file)" for the README/debugging
        if git.show(rev, 'src/backend/utils/misc/guc_tables.c') is not None:
            self.table_path = 'src/backend/utils/misc/guc_tables.c'
        elif git.show(rev, 'src/backend/utils/misc/guc.c') is not None:
            self.table_path = 'src/backend/utils/misc/guc.c'
        else:
            raise GenError('%s has neither guc_tables.c nor guc.c' % rev)

    def preprocessed(self, path):
        if path not in self._pp_cache:
            text = self.git.show(self.rev, path)
            if text is None:
                raise GenError('%s:%s does not exist' % (self.rev, path))
            self._pp_cache[path] = Preprocessor(text)
        return self._pp_cache[path]

    def version_label(self, major):
        """The version number configure.ac (or meson.build) of the revision gives, e.g. 15.18."""
        text = self.git.show(self.rev, 'configure.ac') or self.git.show(self.rev, 'configure.in')
        m = re.search(r'AC_INIT\(\[PostgreSQL\], \[([^\]]+)\]', text or '')
        if not m:
            return str(major)
        if not m.group(1).startswith('%d.' % major) and m.group(1) != str(major):
            raise GenError('%s is PostgreSQL %s, not %d' % (self.rev, m.group(1), major))
        return m.group(1)

    # -- macros

    def macro_value(self, name, context_path, stack=()):
        """The numeric value of a macro, resolved in context_path or the tree."""
        if name in stack:
            raise GenError('recursive macro %s' % name)
        if name in BUILD_DEFINES:
            if BUILD_DEFINES[name] is None:
                raise GenError('macro %s is not defined in the described build' % name)
            return self.eval_expr(BUILD_DEFINES[name], context_path, stack + (name,))
        key = name
        if key in self._macro_cache:
            return self._macro_cache[key]
        pp = self.preprocessed(context_path)
        candidates = []
        if name in pp.defines and pp.defines[name] is not None:
            candidates.append((context_path, pp.defines[name]))
        else:
            pattern = r'^[[:space:]]*#[[:space:]]*define[[:space:]]+%s([[:space:]]|$)' % name
            for path in self.git.grep_files(self.rev, pattern,
                                            ['src/include/*.h', 'src/backend/*.c',
                                             'src/backend/*.h']):
                if re.search(r'/port/(win32|aix|cygwin|darwin|freebsd|hpux|netbsd|openbsd|'
                             r'solaris)', path):
                    continue  # other platforms' headers
                other = self.preprocessed(path)
                if name in other.defines and other.defines[name] is not None:
                    candidates.append((path, other.defines[name]))
        values = {}
        for path, text in candidates:
            values.setdefault(self.eval_expr(text, path, stack + (name,)), []).append(path)
        if len(values) != 1:
            raise GenError('macro %s: %s' % (name, 'no definition found' if not values else
                                             'conflicting definitions %r' % values))
        value, paths = next(iter(values.items()))
        self._macro_cache[key] = value
        self.macro_sources[name] = (value, paths[0])
        return value

    def eval_expr(self, text, context_path, stack=()):
        def ident(m):
            name = m.group(0)
            if name in ('pgmin', 'pgmax'):
                return name
            if name in ('sizeof',):
                raise GenError('sizeof in %r' % text)
            v = self.macro_value(name, context_path, stack)
            return '(%r)' % v

        # c.h's Min()/Max()
        text = re.sub(r'\bMin\s*\(', 'pgmin(', re.sub(r'\bMax\s*\(', 'pgmax(', text))
        replaced = re.sub(r'\b(?!0[xX])[A-Za-z_]\w*\b', ident,
                          re.sub(r'\(\s*(?:const\s+)?(?:unsigned\s+|signed\s+)?(?:int|long|'
                                 r'long\s+long|double|float|Size|size_t|int32|int64|uint32|'
                                 r'uint64|float8|float4)\s*\)', ' ', text))
        # keep float-ness of literals such as 1e10 (the regex above skips them: no letters
        # other than e inside numbers survive, and e is part of the number token).
        return eval_c_expr(replaced)

    # -- enum arrays

    def enum_values(self, array_name):
        pattern = r'config_enum_entry[[:space:]]+%s[[:space:]]*\[[[:space:]]*\][[:space:]]*=' % (
            array_name)
        paths = [self.table_path] if re.search(
            pattern.replace('[[:space:]]', r'\s'),
            self.preprocessed(self.table_path).output) else []
        if not paths:
            paths = [p for p in self.git.grep_files(self.rev, pattern,
                                                    ['src/backend/*.c', 'src/include/*.h'])]
        found = []
        for path in paths:
            pp = self.preprocessed(path)
            text = pp.output
            m = re.search(r'config_enum_entry\s+%s\s*\[\s*\]\s*=\s*' % array_name, text)
            if not m:
                continue
            body, end = braced_body(text, text.index('{', m.end() - 1))
            first = text.count('\n', 0, m.start()) + 1
            last = text.count('\n', 0, end) + 1
            unknown = pp.unknown_between(first, last)
            if unknown:
                raise GenError('%s:%s: enum array %s depends on undecided macros %s; add them to '
                               'BUILD_DEFINES' % (self.rev[:12], path, array_name, unknown))
            values = []
            for item in split_top_level(body):
                fields = split_top_level(unbrace(item))
                name = c_string(fields[0])
                if name is None:
                    break
                if name not in values:
                    values.append(name)
            found.append((path, values))
        if len(found) != 1:
            raise GenError('enum array %s: %s' % (array_name, 'not found' if not found else
                                                  'defined in %s' % [p for p, _ in found]))
        return found[0][1]

    # -- tables

    def parse(self):
        pp = self.preprocessed(self.table_path)
        text = pp.output
        params = {}
        internal = []
        for array, vartype in TABLES:
            m = re.search(r'\b%s\s*\[\s*\]\s*=\s*' % array, text)
            if not m:
                raise GenError('%s: no %s' % (self.table_path, array))
            body, end = braced_body(text, text.index('{', m.end() - 1))
            first = text.count('\n', 0, m.start()) + 1
            last = text.count('\n', 0, end) + 1
            unknown = pp.unknown_between(first, last)
            if unknown:
                raise GenError('%s:%s: %s depends on undecided macros %s; add them to '
                               'BUILD_DEFINES' % (self.rev[:12], self.table_path, array, unknown))
            for item in split_top_level(body):
                fields = split_top_level(unbrace(item))
                generic = split_top_level(unbrace(fields[0]))
                name = c_string(generic[0])
                if name is None:
                    break
                context = generic[1].strip()
                if context not in CONTEXTS:
                    raise GenError('%s: unknown context %s' % (name, context))
                flags = generic[5] if len(generic) > 5 else '0'
                units = [UNITS[f] for f in re.findall(r'\bGUC_UNIT_\w+', flags)]
                if len(units) > 1:
                    raise GenError('%s: several units %s' % (name, units))
                if CONTEXTS[context] == 'internal':
                    internal.append(name)
                    continue
                spec = {'type': vartype, 'context': CONTEXTS[context], 'min': 0, 'max': 0,
                        'unit': units[0] if units else '', 'enum_values': []}
                if vartype in ('integer', 'real'):
                    if len(fields) != 8:
                        raise GenError('%s: unexpected entry %r' % (name, fields))
                    lo = self.eval_expr(fields[3], self.table_path)
                    hi = self.eval_expr(fields[4], self.table_path)
                    if vartype == 'integer':
                        if lo != int(lo) or hi != int(hi):
                            raise GenError('%s: non-integral bounds %r %r' % (name, lo, hi))
                        lo, hi = int(lo), int(hi)
                    else:
                        lo, hi = float(lo), float(hi)
                    spec['min'], spec['max'] = lo, hi
                elif vartype == 'enum':
                    if len(fields) != 7:
                        raise GenError('%s: unexpected entry %r' % (name, fields))
                    # "options + 1" skips leading entries (ssl_min_protocol_version)
                    om = re.fullmatch(r'(\w+)\s*(?:\+\s*(\d+))?', fields[3].strip())
                    if not om:
                        raise GenError('%s: options %r' % (name, fields[3]))
                    spec['enum_values'] = self.enum_values(om.group(1))[int(om.group(2) or 0):]
                elif len(fields) != 6:
                    raise GenError('%s: unexpected entry %r' % (name, fields))
                if name in params:
                    raise GenError('%s defined twice' % name)
                params[name] = spec
        return params, sorted(internal)


# ---------------------------------------------------------------------------
# output


def shape(spec):
    return (spec['type'], spec['min'], spec['max'], spec['unit'], tuple(spec['enum_values']),
            spec['context'])


def merge(per_version, versions):
    """Rows: one per parameter and run of consecutive versions with the same shape."""
    rows = []
    names = sorted({n for params in per_version.values() for n in params})
    for name in names:
        current = None
        for i, v in enumerate(versions):
            spec = per_version[v].get(name)
            if current is not None and (spec is None or shape(spec) != shape(current['spec'])):
                current['until'] = v
                rows.append(current)
                current = None
            if spec is not None and current is None:
                current = {'name': name, 'since': v, 'until': 0, 'spec': spec}
        if current is not None:
            rows.append(current)
    rows.sort(key=lambda r: (r['name'], r['since']))
    return rows


def c_quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def c_double(value, vartype):
    if vartype == 'integer':
        return '%d.0' % value
    r = repr(float(value))
    if r in ('inf', '-inf', 'nan'):
        raise GenError('non-finite bound %r' % value)
    return r if ('.' in r or 'e' in r) else r + '.0'


def render(rows, sources, internal_by_version, versions):
    out = []
    out.append('// Generated by tools/pg_params/generate.py from PostgreSQL')
    for i, v in enumerate(versions):
        out.append('//   %s (%s, %s)%s' % (sources[v]['label'], sources[v]['commit'],
                                          sources[v]['desc'],
                                          ';' if i == len(versions) - 1 else ','))
    out.append('// do not edit.')
    out.append('//')
    out.append('// One row per parameter and run of consecutive major versions with the same type,')
    out.append('// bounds, unit, enum values and context.  Bounds assume a 64-bit Linux build with')
    out.append("// PostgreSQL's default block and segment sizes (see tools/pg_params/README.md).")
    out.append('// Enum values include the hidden ones the server accepts; it matches them')
    out.append('// case-insensitively.')
    out.append('//')
    out.append('// Not listed: parameters whose context is PGC_INTERNAL (they cannot be set):')
    all_internal = sorted({n for v in versions for n in internal_by_version[v]})
    for name in all_internal:
        have = [v for v in versions if name in internal_by_version[v]]
        out.append('//   %s (%s)' % (name, describe_versions(have, versions)))
    out.append('')
    out.append('#include "parameter_table.h"')
    out.append('')
    out.append('namespace pgha::pg {')
    out.append('')
    out.append('// clang-format off')
    out.append('const GucSpec kGucSpecs[] = {')
    for row in rows:
        spec = row['spec']
        out.append('    {%s, GucType::%s, %d, %d, %s, %s, %s, %s, %s},' % (
            c_quote(row['name']), CPP_TYPES[spec['type']], row['since'], row['until'],
            c_double(spec['min'], spec['type']), c_double(spec['max'], spec['type']),
            c_quote(spec['unit']), c_quote(','.join(spec['enum_values'])),
            c_quote(spec['context'])))
    out.append('};')
    out.append('// clang-format on')
    out.append('')
    out.append('const std::size_t kGucSpecCount = sizeof(kGucSpecs) / sizeof(kGucSpecs[0]);')
    out.append('')
    out.append('}  // namespace pgha::pg')
    out.append('')
    return '\n'.join(out)


def describe_versions(have, versions):
    runs, start, prev = [], None, None
    for v in versions:
        if v in have:
            if start is None:
                start = v
            prev = v
        elif start is not None:
            runs.append((start, prev))
            start = None
    if start is not None:
        runs.append((start, prev))
    return ', '.join(str(a) if a == b else '%d-%d' % (a, b) for a, b in runs)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('git_dir', help="a clone of PostgreSQL's git repository")
    ap.add_argument('--versions', default=','.join(map(str, DEFAULT_VERSIONS)),
                    help='comma-separated major versions (default %(default)s)')
    ap.add_argument('--rev', action='append', default=[], metavar='MAJOR=REV',
                    help='read MAJOR from REV instead of its newest release tag/stamp')
    ap.add_argument('--output', default=DEFAULT_OUTPUT, help='the .cc file to write')
    ap.add_argument('--dump-json', metavar='FILE',
                    help='also write the parsed per-version tables as JSON')
    args = ap.parse_args(argv)

    versions = sorted(int(v) for v in args.versions.split(','))
    if versions != list(range(versions[0], versions[-1] + 1)):
        raise GenError('versions must be consecutive: %s' % versions)
    revs = {}
    for item in args.rev:
        major, _, rev = item.partition('=')
        revs[int(major)] = rev
    git = Git(args.git_dir)

    per_version, internal_by_version, sources = {}, {}, {}
    for v in versions:
        if v in revs:
            commit, desc = git.resolve(revs[v]), 'rev %s' % revs[v]
        else:
            commit, desc = git.find_release(v)
        parser = VersionParser(git, commit)
        params, internal = parser.parse()
        per_version[v] = params
        internal_by_version[v] = internal
        sources[v] = {'commit': commit, 'desc': desc, 'file': parser.table_path,
                      'label': parser.version_label(v),
                      'macros': {k: [val, p] for k, (val, p) in sorted(
                          parser.macro_sources.items())}}
        print('%d: %s (%s), %s: %d parameters, %d internal ones left out' % (
            v, desc, commit, parser.table_path, len(params), len(internal)), file=sys.stderr)

    rows = merge(per_version, versions)
    text = render(rows, sources, internal_by_version, versions)
    with open(args.output, 'w') as f:
        f.write(text)
    print('wrote %d rows to %s' % (len(rows), os.path.normpath(args.output)), file=sys.stderr)
    if args.dump_json:
        with open(args.dump_json, 'w') as f:
            json.dump({'sources': {str(v): sources[v] for v in versions},
                       'parameters': {str(v): per_version[v] for v in versions},
                       'internal': {str(v): internal_by_version[v] for v in versions}},
                      f, indent=1, sort_keys=True)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except GenError as e:
        print('generate.py: %s' % e, file=sys.stderr)
        sys.exit(1)
