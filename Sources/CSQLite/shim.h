#include <sqlite3.h>

/// `sqlite3_db_config` for the on/off options (variadic, so Swift cannot call it directly).
static inline int csqlite_db_config_flag(sqlite3 *db, int op, int on) {
    int current = 0;
    return sqlite3_db_config(db, op, on, &current);
}
