package io.mppnode.server.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a statement in the source's binlog (a QUERY event) means to replication. With
 * {@code binlog_format=ROW} rows come as row events; QUERY events carry transaction control and
 * DDL. Replication applies CREATE TABLE, ALTER TABLE ... ADD COLUMN (at the end of the table)
 * and DROP TABLE; index changes do not touch the rows and are passed over; any other statement
 * naming a replicated table stops replication ({@link Unsupported}).
 */
sealed interface SourceStatement {
    /** BEGIN, COMMIT, ROLLBACK and the like. */
    record Control(String keyword) implements SourceStatement {}

    record CreateTable(TableName table, boolean orReplace) implements SourceStatement {}

    /** ALTER TABLE that only adds columns at the end (and maybe plain indexes). */
    record AddColumns(TableName table, List<String> columns) implements SourceStatement {}

    record DropTables(List<TableName> tables) implements SourceStatement {}

    record DropDatabase(String database) implements SourceStatement {}

    /** Something replication does not apply; {@code tables} are the tables it names (as far as known). */
    record Unsupported(String sql, List<TableName> tables, boolean rows) implements SourceStatement {}

    /** A statement about no table's rows or columns (CREATE DATABASE, GRANT, indexes, views, ...). */
    record Ignored() implements SourceStatement {}

    record TableName(String database, String table) {
        String qualified() {
            return database + "." + table;
        }
    }

    String IDENT = "(?:`(?:[^`]|``)+`|[\\w$]+)";
    Pattern NAME = Pattern.compile("(" + IDENT + ")(?:\\s*\\.\\s*(" + IDENT + "))?");
    Pattern CREATE_TABLE = Pattern.compile("CREATE\\s+(OR\\s+REPLACE\\s+)?(TEMPORARY\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(.*)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern ALTER_TABLE = Pattern.compile("ALTER\\s+(?:ONLINE\\s+)?(?:IGNORE\\s+)?TABLE\\s+(?:IF\\s+EXISTS\\s+)?(.*)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern DROP_TABLE = Pattern.compile("DROP\\s+(TEMPORARY\\s+)?TABLES?\\s+(?:IF\\s+EXISTS\\s+)?(.*)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern DROP_DATABASE = Pattern.compile("DROP\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+EXISTS\\s+)?(" + IDENT + ")",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern INDEX = Pattern.compile("(?:CREATE|DROP)\\s+(?:OR\\s+REPLACE\\s+)?(?:ONLINE\\s+)?(?:UNIQUE\\s+|FULLTEXT\\s+|SPATIAL\\s+)?INDEX\\b.*",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern RENAME_OR_TRUNCATE = Pattern.compile("(?:RENAME\\s+TABLES?|TRUNCATE(?:\\s+TABLE)?)\\s+(.*)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern ROWS = Pattern.compile("(?:INSERT|REPLACE)(?:\\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*\\s+(?:INTO\\s+)?(.*)"
            + "|UPDATE(?:\\s+(?:LOW_PRIORITY|IGNORE))*\\s+(.*)|DELETE(?:\\s+(?:LOW_PRIORITY|QUICK|IGNORE))*\\s+(.*)"
            + "|LOAD\\s+DATA\\b.*?\\bINTO\\s+TABLE\\s+(.*)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    /**
     * A table reference of a multi-table UPDATE or DELETE: the first name, or one after a comma,
     * JOIN, FROM or USING (opening parentheses between).
     */
    Pattern REFERENCE = Pattern.compile("(?:^|,|\\b(?:JOIN|STRAIGHT_JOIN|FROM|USING)\\b)\\s*(?:\\(\\s*)*(" + IDENT + ")(?:\\s*\\.\\s*(" + IDENT + "))?",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern UPDATE_END = Pattern.compile("\\bSET\\b", Pattern.CASE_INSENSITIVE);
    Pattern DELETE_END = Pattern.compile("\\b(?:WHERE|ORDER\\s+BY|LIMIT|RETURNING)\\b", Pattern.CASE_INSENSITIVE);
    Pattern LEADING_FROM = Pattern.compile("FROM\\b\\s*", Pattern.CASE_INSENSITIVE);
    Pattern ADD_COLUMN = Pattern.compile("ADD\\s+(?:COLUMN\\s+)?(?:IF\\s+NOT\\s+EXISTS\\s+)?(" + IDENT + ")\\s+(.*)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    /** ADD [COLUMN] [IF NOT EXISTS] (col def, col def, ...): columns at the end, in order. */
    Pattern ADD_COLUMN_LIST = Pattern.compile("ADD\\s+(?:COLUMN\\s*)?(?:IF\\s+NOT\\s+EXISTS\\s*)?\\((.*)\\)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern COLUMN_DEFINITION = Pattern.compile("(" + IDENT + ")\\s+(.*)", Pattern.DOTALL);
    Pattern HARMLESS_CLAUSE = Pattern.compile("(?:ADD\\s+(?:INDEX|KEY|FULLTEXT|SPATIAL)\\b|DROP\\s+(?:INDEX|KEY)\\b|ALGORITHM\\s*=?|LOCK\\s*=?"
            + "|(?:DISABLE|ENABLE)\\s+KEYS\\s*$).*",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    Pattern CLAUSE_KEYWORD = Pattern.compile("(?:CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK|PERIOD|SYSTEM|INDEX|KEY|FULLTEXT|SPATIAL|PARTITION)\\b",
            Pattern.CASE_INSENSITIVE);

    /** Classifies {@code sql}, run with {@code database} as the current database. */
    static SourceStatement of(String sql, String database) {
        String text = stripComments(sql).strip();
        String upper = text.toUpperCase(Locale.ROOT);
        if (upper.equals("BEGIN") || upper.equals("COMMIT") || upper.equals("ROLLBACK") || upper.startsWith("XA ")
                || upper.startsWith("SAVEPOINT") || upper.startsWith("ROLLBACK TO") || upper.startsWith("RELEASE SAVEPOINT")) {
            return new Control(upper);
        }
        Matcher m;
        if ((m = CREATE_TABLE.matcher(text)).matches()) {
            if (m.group(2) != null) {
                return new Ignored(); // a temporary table: not a replicated one, even when it shadows one's name
            }
            return new CreateTable(firstName(m.group(3), database), m.group(1) != null);
        }
        if ((m = ALTER_TABLE.matcher(text)).matches()) {
            return alter(text, m.group(1), database);
        }
        if ((m = DROP_TABLE.matcher(text)).matches()) {
            if (m.group(1) != null) {
                return new Ignored(); // DROP TEMPORARY TABLE drops no base table
            }
            return new DropTables(names(m.group(2), database));
        }
        if ((m = DROP_DATABASE.matcher(text)).matches()) {
            return new DropDatabase(unquote(m.group(1)));
        }
        if (INDEX.matcher(text).matches()) {
            return new Ignored();
        }
        if ((m = RENAME_OR_TRUNCATE.matcher(text)).matches()) {
            return new Unsupported(text, names(m.group(1), database), false);
        }
        if ((m = ROWS.matcher(text)).matches()) {
            if (m.group(2) != null) { // UPDATE: every table before SET (a multi-table UPDATE may change any of them)
                return new Unsupported(text, references(m.group(2), UPDATE_END, database), true);
            }
            if (m.group(3) != null) { // DELETE: the targets, and the tables their aliases may stand for
                String rest = m.group(3);
                Matcher from = LEADING_FROM.matcher(rest);
                return new Unsupported(text, references(from.lookingAt() ? rest.substring(from.end()) : rest, DELETE_END, database), true);
            }
            for (int group = 1; group <= 4; group++) {
                if (m.group(group) != null) {
                    return new Unsupported(text, List.of(firstName(m.group(group), database)), true);
                }
            }
        }
        return new Ignored();
    }

    private static SourceStatement alter(String text, String rest, String database) {
        Matcher name = NAME.matcher(rest);
        if (!name.lookingAt()) {
            return new Unsupported(text, List.of(), false);
        }
        TableName table = tableName(name, database);
        List<String> added = new ArrayList<>();
        for (String clause : splitTopLevel(rest.substring(name.end()))) {
            String trimmed = clause.strip();
            if (trimmed.isEmpty() || HARMLESS_CLAUSE.matcher(trimmed).matches()) {
                continue;
            }
            Matcher list = ADD_COLUMN_LIST.matcher(trimmed);
            if (list.matches()) {
                for (String definition : splitTopLevel(list.group(1))) {
                    Matcher column = COLUMN_DEFINITION.matcher(definition.strip());
                    if (!column.matches() || CLAUSE_KEYWORD.matcher(column.group(1)).matches() || positioned(column.group(2))) {
                        return new Unsupported(text, List.of(table), false);
                    }
                    added.add(unquote(column.group(1)));
                }
                continue;
            }
            Matcher add = ADD_COLUMN.matcher(trimmed);
            if (add.matches() && !CLAUSE_KEYWORD.matcher(add.group(1)).matches() && !add.group(1).equalsIgnoreCase("COLUMN")
                    && !positioned(add.group(2))) {
                added.add(unquote(add.group(1)));
                continue;
            }
            return new Unsupported(text, List.of(table), false);
        }
        return added.isEmpty() ? new Ignored() : new AddColumns(table, List.copyOf(added));
    }

    /** Whether a column definition ends with FIRST or AFTER col (not at the end of the table). */
    private static boolean positioned(String definition) {
        return Pattern.compile("\\b(?:FIRST|AFTER\\s+" + IDENT + ")\\s*$", Pattern.CASE_INSENSITIVE).matcher(definition.strip()).find();
    }

    private static List<String> splitTopLevel(String text) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(text.substring(start));
        return parts;
    }

    private static TableName firstName(String text, String database) {
        Matcher name = NAME.matcher(text.strip());
        if (!name.lookingAt()) {
            return new TableName(database, text.strip());
        }
        return tableName(name, database);
    }

    /** The table references of {@code text} up to {@code end}: the first name, and every one after a comma, JOIN, FROM or USING. */
    private static List<TableName> references(String text, Pattern end, String database) {
        Matcher stop = end.matcher(text);
        String part = stop.find() ? text.substring(0, stop.start()) : text;
        java.util.Set<TableName> result = new java.util.LinkedHashSet<>();
        Matcher reference = REFERENCE.matcher(part.strip());
        while (reference.find()) {
            result.add(tableName(reference, database));
        }
        if (result.isEmpty()) {
            result.add(firstName(text, database));
        }
        return List.copyOf(result);
    }

    private static List<TableName> names(String text, String database) {
        List<TableName> result = new ArrayList<>();
        for (String part : splitTopLevel(text)) {
            String trimmed = part.strip();
            // RENAME TABLE a TO b: both are named
            for (String piece : trimmed.split("(?i)\\s+TO\\s+")) {
                Matcher name = NAME.matcher(piece.strip());
                if (name.lookingAt()) {
                    result.add(tableName(name, database));
                }
            }
        }
        return result;
    }

    private static TableName tableName(Matcher name, String database) {
        return name.group(2) == null ? new TableName(database, unquote(name.group(1))) : new TableName(unquote(name.group(1)), unquote(name.group(2)));
    }

    static String unquote(String identifier) {
        return identifier.startsWith("`") ? identifier.substring(1, identifier.length() - 1).replace("``", "`") : identifier;
    }

    /** Drops comments ({@code /* *}{@code /}, {@code -- }, {@code #}) outside quotes; keeps executable comments' text. */
    static String stripComments(String sql) {
        StringBuilder out = new StringBuilder(sql.length());
        char quote = 0;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '\'' || c == '"' || c == '`') {
                quote = c;
                out.append(c);
            } else if (c == '/' && i + 1 < sql.length() && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                String body = sql.substring(i + 2, end < 0 ? sql.length() : end);
                if (body.startsWith("!") || body.startsWith("M!")) { // executable comment: its text runs
                    out.append(' ').append(body.replaceFirst("^M?!\\d*", "")).append(' ');
                } else {
                    out.append(' ');
                }
                i = end < 0 ? sql.length() : end + 1;
            } else if ((c == '-' && sql.startsWith("-- ", i)) || c == '#') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? sql.length() : end;
                out.append(' ');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
