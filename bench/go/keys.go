package main

// The key sets of bench/common.h, bit for bit.

const strKeyMax = 40

func keyOf(i uint64) uint64 {
	x := i ^ 0x5eed
	x = (x ^ (x >> 31)) * 0x7fb5d329728ea185
	x = (x ^ (x >> 27)) * 0x81dadef4bc2dd44d
	return x ^ (x >> 33)
}

func survives(i uint64) bool { return keyOf(^i)%10 == 0 }

func keyTimestamp(i uint64) uint64 { return 1700000000000 + i }
func keyMul1024(i uint64) uint64   { return i << 10 }

const digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func strKey(i uint64, buf []byte) int {
	x, f := keyOf(i), keyOf(i^0xf111)
	n := 0
	for d := 0; d < 11; d, x = d+1, x/62 {
		buf[n] = digits[x%62]
		n++
	}
	for extra := f % 30; extra > 0; extra, f = extra-1, f*6364136223846793005+1 {
		buf[n] = digits[(f>>58)%62]
		n++
	}
	return n
}

func heapValue(i uint64) []byte {
	b := make([]byte, 32+keyOf(i^0xba1)%129)
	for j := range b {
		b[j] = byte(i)
	}
	return b
}
