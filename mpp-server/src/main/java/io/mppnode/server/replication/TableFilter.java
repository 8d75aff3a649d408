package io.mppnode.server.replication;

import io.mppnode.server.replication.SourceStatement.TableName;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Which upstream tables replication takes: entries "db" (every table of it) or "db.table". */
final class TableFilter {
    /** Lists a database's base tables. */
    interface Lister {
        List<String> tables(String database) throws SQLException;
    }

    private final Set<String> databases = new LinkedHashSet<>();
    private final Set<String> tables = new LinkedHashSet<>();

    TableFilter(List<String> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("no tables to replicate: name databases (db) or tables (db.table)");
        }
        for (String entry : entries) {
            String trimmed = entry.strip();
            if (trimmed.isEmpty() || trimmed.startsWith(".") || trimmed.endsWith(".")) {
                throw new IllegalArgumentException("'" + entry + "' names no table: use db or db.table");
            }
            if (trimmed.endsWith(".*")) {
                databases.add(trimmed.substring(0, trimmed.length() - 2));
            } else if (trimmed.contains(".")) {
                tables.add(trimmed);
            } else {
                databases.add(trimmed);
            }
        }
    }

    boolean selects(TableName name) {
        return databases.contains(name.database()) || tables.contains(name.qualified());
    }

    /** The selected tables that exist now: every table of a selected database, and the named ones. */
    List<TableName> expand(Lister lister) throws SQLException {
        Set<TableName> result = new LinkedHashSet<>();
        for (String database : databases) {
            for (String table : lister.tables(database)) {
                result.add(new TableName(database, table));
            }
        }
        for (String table : tables) {
            result.add(parse(table));
        }
        return new ArrayList<>(result);
    }

    /** "db.table" as a name (split at the first dot); null without a dot. */
    static TableName parse(String qualified) {
        int dot = qualified.indexOf('.');
        return dot <= 0 ? null : new TableName(qualified.substring(0, dot), qualified.substring(dot + 1));
    }
}
