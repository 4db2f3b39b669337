# Linear algebra as programs use it: least squares with torch.linalg.lstsq against the normal equations, solve,
# inv, det, norms, QR, Cholesky, eigh, SVD (singular values and reconstruction), pinv and matrix_power.
# compare: close rtol=1e-4 atol=1e-5
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    x = torch.linspace(0, 1, 20, dtype=torch.float64)
    A = torch.stack([torch.ones_like(x), x, x ** 2], dim=1)
    y = 1.0 - 2.0 * x + 3.0 * x ** 2 + 0.01 * torch.sin(40 * x)
    solution = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.squeeze(1)
    print("lstsq:", solution)
    normal = torch.linalg.solve(A.T @ A, A.T @ y)
    print("normal equations:", normal, torch.allclose(solution, normal))
    print("residual norm:", torch.linalg.norm(A @ solution - y).item())

    M = torch.tensor([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    b = torch.tensor([1.0, 2.0, 3.0])
    print("solve:", torch.linalg.solve(M, b))
    print("inv:", torch.linalg.inv(M))
    print("inv @ M is I:", torch.allclose(torch.linalg.inv(M) @ M, torch.eye(3), atol=1e-6))
    print("det:", torch.linalg.det(M).item(), "slogdet:", torch.linalg.slogdet(M))
    print("norms:", torch.linalg.norm(M).item(), torch.linalg.matrix_norm(M, ord=1).item(),
          torch.linalg.vector_norm(b, ord=float("inf")).item())
    Q, R = torch.linalg.qr(A.float())
    print("qr shapes:", tuple(Q.shape), tuple(R.shape), "orthonormal:", torch.allclose(Q.T @ Q, torch.eye(3),
                                                                                       atol=1e-5))
    print("|diag R|:", R.diagonal().abs())
    L = torch.linalg.cholesky(M)
    print("cholesky:", L, torch.allclose(L @ L.T, M, atol=1e-6))
    eigenvalues, eigenvectors = torch.linalg.eigh(M)
    print("eigh values:", eigenvalues)
    print("eigh reconstructs:", torch.allclose(eigenvectors @ torch.diag(eigenvalues) @ eigenvectors.T, M,
                                               atol=1e-5))
    U, S, Vh = torch.linalg.svd(A.float(), full_matrices=False)
    print("singular values:", S, torch.linalg.svdvals(A.float()))
    print("svd reconstructs:", torch.allclose(U @ torch.diag(S) @ Vh, A.float(), atol=1e-5))
    print("pinv solves:", torch.linalg.pinv(A) @ y)
    print("matrix_power:", torch.linalg.matrix_power(M, 3)[0])
    print("trace and diag:", torch.trace(M).item(), torch.diag(M), torch.diag(b))
    Mg = M.clone().requires_grad_()
    torch.linalg.det(Mg).backward()
    print("d det / dM = det * inv^T:", torch.allclose(Mg.grad, torch.linalg.det(M) * torch.linalg.inv(M).T,
                                                      atol=1e-5))


if __name__ == "__main__":
    main()
