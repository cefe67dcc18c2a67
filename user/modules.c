// SPDX-License-Identifier: BSD-2-Clause
/* Every data source, for what drives them all (the load test, the
 * exporter). Apart from module.c so that a tool links only its own. */
#include "faultstat.h"
#include "memleak.h"
#include "module.h"
#include "oomkill.h"
#include "pagecache.h"
#include "reclaimlat.h"
#include "slab.h"

const struct module_ops *const module__all[] = {
	&pagecache__module, &reclaimlat__module, &faultstat__module,
	&kmemleak__module,  &memleak__module,    &slab__module,
	&oomkill__module,   NULL,
};
