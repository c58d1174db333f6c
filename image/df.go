package image

import "go.podman.io/storage"

// Usage is what kist system df reports: images and containers, with
// layers that several images share counted once.
type Usage struct {
	Images, Containers int
	ImagesSize         int64 // unique image layers
	ContainersSize     int64 // the containers' writable layers
	CacheLayers        int   // layers only the build cache uses
	CacheSize          int64
}

// DiskUsage adds up the store's layers.
func (s *Store) DiskUsage() (*Usage, error) {
	lu, err := s.layerUse()
	if err != nil {
		return nil, err
	}
	size := map[string]int64{}
	for _, l := range lu.layers {
		size[l.ID] = l.UncompressedSize
	}
	u := &Usage{Images: len(lu.imgs), Containers: len(lu.ctrs)}
	for id := range lu.byImages {
		u.ImagesSize += size[id]
	}
	for _, c := range lu.ctrs {
		u.ContainersSize += size[c.LayerID]
	}
	for _, l := range lu.loose() {
		u.CacheLayers++
		u.CacheSize += l.UncompressedSize
	}
	return u, nil
}

func (s *Store) imagesAndContainers() ([]storage.Image, []storage.Container, error) {
	imgs, err := s.s.Images()
	if err != nil {
		return nil, nil, err
	}
	ctrs, err := s.s.Containers()
	return imgs, ctrs, err
}
