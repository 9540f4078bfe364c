/* stream_contracts: the contract lookup every stream job of the CLI gets (cli.h): the
 * current version from the loaded project, older ones from the data directory. */
#include "cli/cli.h"
#include "ingest/project.h"

fl_code fl_cli_contract_lookup(void *ctx, uint32_t version, const fl_sql_stream **def, fl_err *err) {
  fl_cli_contract_src *cs = ctx;
  if (version == 0 || version == cs->ps->contract_version) {
    *def = cs->ps->def;
    return FL_OK;
  }
  return fl_project_contract_load(cs->data_dir, cs->ps->name, version, &cs->arena, def, err);
}
