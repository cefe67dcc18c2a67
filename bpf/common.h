/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by every tool's kernel/user contract. Fixed-width fields only. */
#ifndef MEMSCOPE_COMMON_H
#define MEMSCOPE_COMMON_H

#define TASK_COMM_LEN 16
#define MEMSCOPE_PAGE_SHIFT 12

#endif
