// SPDX-License-Identifier: GPL-2.0

// A Go program that spends its time in C through cgo, for the test that
// Go and C frames connect in one stack (tests/integration/go.bats).
//
//	gocgo SECONDS   (CPU seconds; printed on stderr at exit)
package main

/*
#include <stdint.h>

static volatile uint64_t c_sink;

__attribute__((noinline)) static void c_keep(uint64_t x)
{
	c_sink = x;
}

__attribute__((noinline)) void c_spin(void)
{
	uint64_t x = c_sink;

	for (int i = 0; i < 200000; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	c_keep(x);
}
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage

	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

//go:noinline
func callC() {
	C.c_spin()
}

func main() {
	secs := 2.0
	if len(os.Args) > 1 {
		var err error
		if secs, err = strconv.ParseFloat(os.Args[1], 64); err != nil {
			fmt.Fprintln(os.Stderr, "gocgo: bad SECONDS:", err)
			os.Exit(2)
		}
	}
	for cpuSeconds() < secs {
		for i := 0; i < 10; i++ {
			callC()
		}
	}
	fmt.Fprintf(os.Stderr, "cpu_seconds=%.3f\n", cpuSeconds())
}
