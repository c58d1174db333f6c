package vm

import "context"

// Accelerator says which accelerator kist vm run --accel auto uses here
// for kernel ("": the one FindKernel picks), and why: KVM when /dev/kvm
// opens and a probe boot under it ends in time (the answer is cached for
// this boot of the host), else TCG.
func Accelerator(ctx context.Context, kernel string) (accel, why string, err error) {
	qemu, err := findQEMU()
	if err != nil {
		return "", "", err
	}
	k, err := FindKernel(kernel)
	if err != nil {
		return "", "", err
	}
	cache := CacheDir()
	boot, _, err := k.Boot(cache)
	if err != nil {
		return "", "", err
	}
	return chooseAccel(ctx, "", qemu, boot, cache)
}
