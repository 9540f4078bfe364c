/* diag: diagnostics for operators, to stderr, one line each:
 *   2026-11-25T15:04:39.123Z warn  table: bronze.orders: commit conflict, retry 2
 * The level comes from FLOE_LOG (debug|info|warn|error; default info). */
#ifndef FL_CORE_DIAG_H
#define FL_CORE_DIAG_H

typedef enum fl_diag_level { FL_DEBUG, FL_INFO, FL_WARN, FL_ERROR } fl_diag_level;

void fl_diag(fl_diag_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fl_diag_set_level(fl_diag_level level);
fl_diag_level fl_diag_get_level(void);

#define fl_debug(mod, ...) fl_diag(FL_DEBUG, mod, __VA_ARGS__)
#define fl_info(mod, ...) fl_diag(FL_INFO, mod, __VA_ARGS__)
#define fl_warn(mod, ...) fl_diag(FL_WARN, mod, __VA_ARGS__)
#define fl_error(mod, ...) fl_diag(FL_ERROR, mod, __VA_ARGS__)

#endif
