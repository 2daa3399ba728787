/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the golden vectors to stdout: build/tests/golden-gen >
 * tests/golden/models.txt, only after a deliberate change to models/ whose new
 * results were checked against the references (see tests/README.md).
 */
#include "tests/golden.h"

int
main(void)
{
    golden_write(stdout);
    return 0;
}
