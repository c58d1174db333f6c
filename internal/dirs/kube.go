package dirs

import "path/filepath"

// Kube is where kist kube keeps its objects: Data()/kube, a folder per
// namespace (package kube/cluster).
func Kube() string { return filepath.Join(Data(), "kube") }
